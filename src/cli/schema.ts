// `lrlab schema KIND`: the JSON Schema of an experiment kind's config (from its zod schema), for
// editor tooling (e.g. VS Code's json.schemas) and generated forms.
import { parseArgs } from 'node:util';
import { type Command, UsageError } from './command.js';
import { commandOf, schemaHead } from './help.js';
import { experimentKinds, findExperiment } from '../experiments/registry.js';
import { toJsonSchema } from '../util/schema.js';

export const schemaCommand: Command = commandOf(schemaHead, {
  async run(argv) {
    const { positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new UsageError(`give exactly one experiment kind (${experimentKinds().join(', ')})`);
    const exp = findExperiment(positionals[0]);
    if (!exp) throw new UsageError(`unknown experiment kind '${positionals[0]}' (known: ${experimentKinds().join(', ')})`);
    console.log(JSON.stringify({ title: `lrlab ${exp.kind} config`, ...toJsonSchema(exp.schema) }, null, 2));
    return 0;
  },
});
