// Layers point one way: a folder of src/ imports only from the folders before it in LAYERS (so no
// folder-level import cycle can exist), and only the experiment registry imports an experiment
// kind's folder (src/experiments/<kind>/), so nothing outside a kind's folder switches on its name.
// Tests (*.test.ts, *.testutil.ts) may import anything. Checked by `npm run lint` (depcruise).
const LAYERS = ['util', 'engine', 'nn', 'data', 'models', 'metrics', 'train', 'runs', 'viz', 'experiments', 'queue', 'report', 'server', 'cli'];
const TESTS = '\\.(test|testutil)\\.ts$';

const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer}`,
  comment: `src/${layer} may import only from ${LAYERS.slice(0, i).join(', ') || 'no other folder of src'} (layers point one way)`,
  severity: 'error',
  from: { path: `^src/${layer}/`, pathNot: TESTS },
  to: { path: `^src/(${LAYERS.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'unknown-folder',
      comment: `every folder of src is one of the layers (${LAYERS.join(', ')}); add a new one to LAYERS in .dependency-cruiser.cjs`,
      severity: 'error',
      from: { path: `^src/(?!(${LAYERS.join('|')})/)` },
      to: {},
    },
    {
      name: 'kind-folders-via-registry',
      comment: 'only src/experiments/registry.ts imports an experiment kind\'s folder; everything else looks kinds up in the registry',
      severity: 'error',
      from: { path: '^src/', pathNot: [TESTS, '^src/experiments/registry\\.ts$', '^src/experiments/[^/]+/'] },
      to: { path: '^src/experiments/[^/]+/' },
    },
    {
      name: 'kind-folders-apart',
      comment: 'an experiment kind\'s folder does not import another kind\'s folder',
      severity: 'error',
      from: { path: '^src/experiments/([^/]+)/', pathNot: TESTS },
      to: { path: '^src/experiments/[^/]+/', pathNot: '^src/experiments/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^|/)node_modules/' },
  },
};
