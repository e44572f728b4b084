// The plotly.js that commonplan's pages need: its core (with scatter) and the bar and sankey
// traces — a quarter of the full bundle's size.
var Plotly = require('plotly.js/lib/core');
Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/sankey')]);
module.exports = Plotly;
