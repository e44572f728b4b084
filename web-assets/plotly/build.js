// node build.js → ../../src/commonplan/web/static/vendor/plotly-partial.min.js
// Options as plotly.js's own esbuild-config.js (global → window, no AMD), minified, with the
// licences of everything bundled kept at the end of the file.
const path = require('path');
const version = require('plotly.js/package.json').version;
const out = path.join(__dirname, '..', '..', 'src', 'commonplan', 'web', 'static', 'vendor',
  'plotly-partial.min.js');
require('esbuild').build({
  entryPoints: [path.join(__dirname, 'entry.js')],
  outfile: out,
  bundle: true,
  minify: true,
  format: 'iife',
  globalName: 'Plotly',
  target: 'es2016',
  define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
  alias: { stream: 'stream-browserify' },
  loader: { '.css': 'empty' },  // maplibre's stylesheet, pulled in by the core; no map is drawn
  banner: { js: `/* plotly.js ${version} (MIT): core, bar, sankey — built by web-assets/plotly */` },
  legalComments: 'eof',
  logLevel: 'warning',
}).catch(() => process.exit(1));
