'use strict';
/**
 * Preloaded into the jsii kernel (Node.js, `--require`) by datalake_cdktf.engine: the
 * Node.js half of loading the AWS provider one module at a time.
 *
 * When the kernel loads an assembly it requires the package's entry point, and
 * @cdktf/provider-aws's `lib/index.js` is nothing but ~2,100 lines of
 * `exports.s3Bucket = require("./s3-bucket");`: seconds of compiling modules a synth
 * never uses. This compiles that one file as the same exports defined lazily: each
 * `require` runs on first access, its result then stored as the plain property the
 * original defines. The kernel reaches a type through that property, so nothing else
 * changes.
 *
 * Any line of the index that is not one of those shapes (a later provider version, a
 * hand edit) and the file is compiled as it is, with a warning: slower, never different.
 */
const fs = require('fs');
const Module = require('module');
const path = require('path');

const PACKAGES = new Set(['@cdktf/provider-aws']);

const REEXPORT = /^exports\.([A-Za-z_$][\w$]*) = require\(("\.\/[\w./-]+")\);$/;
const INERT = [
  /^$/,
  /^"use strict";$/,
  /^\s*(\/\/|\/\*\*|\*)/, // comments, the source map's among them
  /^Object\.defineProperty\(exports, "__esModule", \{ value: true \}\);$/,
  /^exports\.[\w$]+( = exports\.[\w$]+)* = void 0;$/, // TypeScript's forward declarations
];

/** The package of a `lib/index.js` that is a lazy package's entry point, else null. */
function lazyPackage(filename) {
  if (path.basename(filename) !== 'index.js' || path.basename(path.dirname(filename)) !== 'lib') {
    return null;
  }
  const root = path.dirname(path.dirname(filename));
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  } catch {
    return null;
  }
  const isEntryPoint = path.resolve(root, manifest.main || '') === filename;
  return PACKAGES.has(manifest.name) && isEntryPoint ? manifest.name : null;
}

/** The same exports as `source`, each required on first access; null if `source` is
 * anything more than re-exports. */
function lazySource(source) {
  const lines = ['"use strict";', 'Object.defineProperty(exports, "__esModule", { value: true });', lazy.toString()];
  for (const line of source.split('\n')) {
    const reexport = REEXPORT.exec(line);
    if (reexport) {
      lines.push(`lazy(${JSON.stringify(reexport[1])}, () => require(${reexport[2]}));`);
    } else if (!INERT.some((shape) => shape.test(line))) {
      return null;
    }
  }
  return lines.join('\n');
}

function lazy(name, load) {
  Object.defineProperty(exports, name, {
    configurable: true,
    enumerable: true,
    get() {
      const value = load();
      Object.defineProperty(exports, name, { configurable: true, enumerable: true, writable: true, value });
      return value;
    },
  });
}

const compileJs = Module._extensions['.js'];
Module._extensions['.js'] = function compileLazily(module, filename) {
  const name = lazyPackage(filename);
  if (name === null) {
    return compileJs(module, filename);
  }
  const source = lazySource(fs.readFileSync(filename, 'utf8'));
  if (source === null) {
    process.stderr.write(`datalake_cdktf: ${name}'s index is not laid out as expected; loading it eagerly (slower synth)\n`);
    return compileJs(module, filename);
  }
  return module._compile(source, filename);
};
