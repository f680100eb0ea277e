// Learning-rate schedules, evaluated once per epoch (plain data, so they go into config files).
import { checkKeys, integerList, number, OptionError } from './options';

export type Schedule =
  | { kind: 'constant' }
  | { kind: 'multistep'; milestones: number[]; factor: number }
  | { kind: 'cosine'; minLr: number };

/** The learning rate stays at its base value. */
export function constant(): Schedule {
  return { kind: 'constant' };
}

/** Multiply by `factor` at each milestone epoch (the paper: [60, 120, 160, 200], 0.2). */
export function multistep(milestones: number[], factor: number): Schedule {
  const ms = integerList('schedules.multistep', 'milestones', milestones, 1);
  for (let i = 1; i < ms.length; i += 1) {
    if (ms[i] <= ms[i - 1]) throw new OptionError(`schedules.multistep: milestones must increase, got [${ms.join(', ')}]`);
  }
  return { kind: 'multistep', milestones: ms, factor: number('schedules.multistep', 'factor', factor, { above: 0 }) };
}

/** Cosine annealing from the base rate to `minLr` over the phase's epochs. */
export function cosine(minLr = 0): Schedule {
  return { kind: 'cosine', minLr: number('schedules.cosine', 'minLr', minLr, { min: 0 }) };
}

export function validateSchedule(where: string, schedule: unknown): Schedule {
  const s = schedule as Schedule;
  if (typeof s !== 'object' || s === null) throw new OptionError(`${where}: schedule must come from schedules.constant/multistep/cosine`);
  switch (s.kind) {
    case 'constant': checkKeys(`${where} schedule`, s, ['kind']); return s;
    case 'multistep': checkKeys(`${where} schedule`, s, ['kind', 'milestones', 'factor']); return multistep(s.milestones, s.factor);
    case 'cosine': checkKeys(`${where} schedule`, s, ['kind', 'minLr']); return cosine(s.minLr);
    default: throw new OptionError(`${where}: schedule kind ${JSON.stringify((s as { kind?: unknown }).kind)} is unknown; expected constant, multistep or cosine`);
  }
}

/** The rate for 0-based `epoch` of a phase of `epochs` epochs. */
export function learningRateAt(schedule: Schedule, baseLr: number, epoch: number, epochs: number): number {
  switch (schedule.kind) {
    case 'constant': return baseLr;
    case 'multistep': return schedule.milestones.reduce((lr, m) => (epoch >= m ? lr * schedule.factor : lr), baseLr);
    case 'cosine': return schedule.minLr + 0.5 * (baseLr - schedule.minLr) * (1 + Math.cos((Math.PI * epoch) / Math.max(1, epochs)));
  }
}
