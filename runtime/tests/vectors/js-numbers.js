// Records how JavaScript writes doubles in JSON: [IEEE-754 bits as hex, JSON.stringify(x)].
// Regenerate: node js-numbers.js > js-numbers.json
const crypto = require('crypto');
const out = [];
const buf = Buffer.alloc(8);
function add(x) { buf.writeDoubleBE(x); if (Number.isFinite(x)) out.push([buf.toString('hex'), JSON.stringify(x)]); }
for (let i = 0; i < 800; i++) { const b = crypto.randomBytes(8); add(b.readDoubleBE()); }
for (let i = 0; i < 800; i++) { const e = Math.floor(Math.random() * 60) - 30; add((Math.random() - 0.5) * Math.pow(10, e)); }
for (let i = 0; i < 200; i++) { add(Math.floor(Math.random() * 2 ** 52) + 0.25); add(Math.floor(Math.random() * 2 ** 51) + 0.75); add(Math.round(Math.random() * 1e6) / 100); }
[0.1, 0.2, 0.3, 1/3, 2/3, 1e21, 1e-7, 1e-6, 123e-20, 5e-324, 1.7976931348623157e308, 2**53, 2**53+2, -1e21, 1e20, 9.999999999999999e20, 0.000001, 1.5e-7, 100, 1e300, 4.35, 0.5, -0.1].forEach(add);
console.log(JSON.stringify({ source: "node " + process.version + " JSON.stringify", numbers: out }));
