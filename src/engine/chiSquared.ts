// A chi-squared draw from a seeded Generator: Marsaglia & Tsang's (2000) gamma sampler, exact (a
// rejection method, no approximation), drawing its normals and uniforms from the generator so that
// a run that saves and restores the generator's state reproduces the draw.
import { rand, randn } from './creation.js';
import type { Generator } from './random.js';
import { tidy } from './scope.js';

function draw(kind: 'normal' | 'uniform', gen: Generator): number {
  return tidy(() => (kind === 'normal' ? randn([1], gen, { dtype: 'float64' }) : rand([1], gen, { dtype: 'float64' })).toFloat64Array()[0]!);
}

/** Gamma(shape, 1) for shape >= 1 (Marsaglia-Tsang: d = shape - 1/3, c = 1 / sqrt(9d)). */
function gammaAtLeastOne(shape: number, gen: Generator): number {
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = draw('normal', gen);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = draw('uniform', gen);
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/**
 * One draw of a chi-squared variable with `dof` degrees of freedom (the squared length of a standard
 * Gaussian vector of that dimension), dof > 0 (not necessarily whole). dof 0 gives 0.
 */
export function chiSquared(dof: number, gen: Generator): number {
  if (!(dof >= 0 && Number.isFinite(dof))) throw new Error(`chiSquared: dof must be a finite number >= 0, got ${dof}`);
  if (dof === 0) return 0;
  const shape = dof / 2;
  if (shape >= 1) return 2 * gammaAtLeastOne(shape, gen);
  // shape < 1: Gamma(shape) = Gamma(shape + 1) * U^(1/shape)
  const g = gammaAtLeastOne(shape + 1, gen);
  return 2 * g * draw('uniform', gen) ** (1 / shape);
}
