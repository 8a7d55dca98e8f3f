// What the "new run" form is generated from: each experiment kind's presets (with their complete
// configs, to prefill the fields) and the JSON Schema of its config (the zod schema's, as `lrlab
// schema KIND` prints it).
import { experiments } from '../experiments/registry.js';
import { toJsonSchema } from '../util/schema.js';

export function kindsForForm() {
  return {
    kinds: experiments().map((e) => ({
      kind: e.kind, summary: e.cli.summary, defaultPreset: e.defaultPreset, clock: e.view.clock,
      lengthKey: e.schedule.lengthKey,
      presets: Object.entries(e.presets).map(([name, p]) => ({ name, description: p.description, config: p.config() })),
      schema: toJsonSchema(e.schema),
    })),
  };
}
