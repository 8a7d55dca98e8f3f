// Render a Vega-Lite spec to an SVG string in Node: compile to Vega, then a headless vega.View.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { VlSpec } from '../viz/charts.js';

/** Compile a Vega-Lite spec to Vega; Vega-Lite's warnings go to `warn` (default: dropped). */
export function compileSpec(spec: VlSpec, warn: (msg: string) => void = () => {}): vega.Spec {
  const logger = vega.logger(vega.Warn);
  logger.warn = (...args: readonly unknown[]) => { warn(args.map(String).join(' ')); return logger; };
  return compile(spec as unknown as TopLevelSpec, { logger }).spec;
}

/** The SVG of a Vega-Lite spec (no browser, no canvas). */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const view = new vega.View(vega.parse(compileSpec(spec)), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
