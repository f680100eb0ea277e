// Whether torchrun started this process, answered without the addon (the CLI asks before it loads a command).

/** Whether this process was started by torchrun (or another launcher setting its variables). */
export function launchedByTorchrun(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.RANK !== undefined && env.WORLD_SIZE !== undefined;
}
