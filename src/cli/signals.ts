// SIGINT/SIGTERM handling for long runs: the first signal asks the run to checkpoint and stop;
// a second one exits at once.
export function interruptFlag(): { get: () => boolean; release: () => void } {
  let flag = false;
  const handler = (sig: NodeJS.Signals) => {
    if (flag) process.exit(sig === 'SIGINT' ? 130 : 143);
    flag = true;
    process.stderr.write(`\n${sig}: saving a checkpoint and stopping (send again to quit at once)\n`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    get: () => flag,
    release: () => { process.off('SIGINT', handler); process.off('SIGTERM', handler); },
  };
}
