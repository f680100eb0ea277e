// Who may use the trainer now: one phase (fit / postTrain) at a time, one piece of native work at a
// time, read-only calls between a phase's epochs, nothing after dispose, and nothing before a
// data-parallel job has been joined. Each trainer method states what it needs in one call here.
import { BusyError, DisposedError } from '../errors';
import type { PhaseName } from '../checkpoint/training-checkpoint';

export class TrainerLock {
  /** The phase running: no other phase, step or weight change may start meanwhile. */
  private phase?: PhaseName;
  /** The native work in flight (an epoch, an evaluation, ...): nothing else may use the model meanwhile. */
  private running?: string;
  /** Read-only calls made while a phase waits (e.g. evaluate from onEpoch): the phase resumes after them. */
  private readonly between = new Set<Promise<unknown>>();
  private disposed = false;
  /** Joining the data-parallel job; every later call waits for it and shares its failure. */
  private joining?: Promise<void>;

  /** Holds the trainer while it joins its job (`join` connects and takes rank 0's state). */
  holdWhileJoining(join: Promise<void>): void {
    this.running = 'joining the data-parallel job';
    this.joining = join.finally(() => { this.running = undefined; });
    this.joining.catch(() => undefined);  // its error is every later call's (afterJoin rethrows it)
  }

  /** Resolves once the job is joined (at once for a single process); rejects as the join did. */
  async joined(): Promise<void> {
    await this.joining;
  }

  /**
   * Runs a call once the job is joined. Without a job it starts synchronously, so a call takes the
   * trainer in the same turn it is made (a dispose() right after fit() is refused, not raced).
   */
  async afterJoin<T>(call: () => T | Promise<T>): Promise<T> {
    if (this.joining) await this.joining;
    return call();
  }

  /** Refuses any use after dispose. */
  usable(where: string): void {
    if (this.disposed) throw new DisposedError(`${where}: this trainer was disposed; create a new PoFTrainer`);
  }

  /**
   * Refuses a call while native work runs or, for one that changes the model or optimizer
   * (`changes`), while a phase runs at all. The running work is never disturbed.
   */
  checkFree(where: string, changes: boolean): void {
    this.usable(where);
    if (changes && this.phase) {
      throw new BusyError(`${where}: the trainer is running ${this.phase}; await it (or abort it with its signal) first`);
    }
    if (this.running) throw new BusyError(`${where}: the trainer is busy (${this.running} is running); await it first`);
  }

  /** Native work that changes the model (a step): nothing else may run meanwhile. */
  async exclusive<T>(where: string, work: () => Promise<T>): Promise<T> {
    this.checkFree(where, true);
    return this.marked(where, work);
  }

  /** Native work that only reads the model: allowed between a phase's epochs (e.g. from onEpoch). */
  async reading<T>(where: string, work: () => Promise<T>): Promise<T> {
    this.checkFree(where, false);
    return this.marked(where, () => this.track(work()));
  }

  /** Remembers a call made while a phase waits, so that the phase resumes only once it settled. */
  track<T>(work: Promise<T>): Promise<T> {
    if (!this.phase) return work;
    this.between.add(work);
    const done = () => { this.between.delete(work); };
    work.then(done, done);
    return work;
  }

  /**
   * Holds the trainer for a phase from this call on (later calls wait for it or are refused); the
   * phase ends once the calls made during its last callbacks have settled.
   */
  async holdPhase<T>(name: PhaseName, run: () => Promise<T>): Promise<T> {
    this.checkFree(name, true);
    this.phase = name;
    try {
      return await run();
    } finally {
      if (this.callsBetween) await this.settled();
      this.phase = undefined;
    }
  }

  /** The phase's own native work, after any call made between its epochs has settled. */
  async phaseWork<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.callsBetween) await this.settled();
    return this.marked(what, work);
  }

  /**
   * Whether calls made between epochs are pending. Callers await settled() only then: without any,
   * what follows stays synchronous with the check, so no new call can slip in after it.
   */
  get callsBetween(): boolean {
    return this.between.size > 0;
  }

  async settled(): Promise<void> {
    while (this.between.size > 0) await Promise.allSettled([...this.between]);
  }

  /** Frees the trainer's native state (refused while busy); every later call is a DisposedError. */
  dispose(free: () => void): void {
    if (this.disposed) return;
    this.checkFree('dispose', true);
    free();
    this.disposed = true;
  }

  private async marked<T>(what: string, work: () => Promise<T>): Promise<T> {
    this.running = what;
    try {
      return await work();
    } finally {
      this.running = undefined;
    }
  }
}
