// Finds a Python interpreter that can import PyTorch (for reference comparisons in tests and the
// benchmark). Debian's python3-torch installs into /usr/bin/python3, which may differ from the
// `python3` on PATH (e.g. under pyenv).
import { spawnSync } from 'node:child_process';

let cached: string | null | undefined;

export function torchPython(): string | null {
  if (cached !== undefined) return cached;
  const candidates = [process.env.LRLAB_TORCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  cached = candidates.find((py) => spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) ?? null;
  return cached;
}
