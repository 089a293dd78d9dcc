'use strict';
/**
 * Preloaded into the jsii kernel (Node.js, `--require`) by datalake_cdktf.engine. Three
 * changes to modules of the engine as Node.js compiles them; none changes what a synth
 * writes.
 *
 * 1. The AWS provider, one module at a time. When the kernel loads an assembly it
 *    requires the package's entry point, and @cdktf/provider-aws's `lib/index.js` is
 *    nothing but ~2,100 lines of `exports.s3Bucket = require("./s3-bucket");`: seconds
 *    of compiling modules a synth never uses. That file is compiled as the same exports
 *    defined lazily: each `require` runs on first access, its result then stored as the
 *    plain property the original defines. The kernel reaches a type through that
 *    property. Any line that is not one of those shapes (a later provider version, a
 *    hand edit) and the file is compiled as it is, with a warning: slower, never different.
 *
 * 2. Creation stacks formatted when read. cdktf records, for every token it creates, the
 *    JavaScript stack of its creation (`creationStack`), which only an error message
 *    ever reads; formatting those frames as text is about a tenth of a synth's time (a
 *    Glue job creates dozens of tokens). cdktf's `captureStackTrace` is replaced by one
 *    that captures the same frames at the same moment and turns them into the same
 *    array of lines on first use.
 *
 * 3. Content-addressed asset folders linked into the stacks. cdktf copies a folder
 *    asset into every stack that uses it; a folder whose files are named by their
 *    content and never change in place (datalake_cdktf's AssetFolder marks its asset
 *    with the context `datalake_cdktf:link-files`) gets hard links instead: the same
 *    files, without writing their bytes again per stack. Where a link cannot be made
 *    (another file system), the file is copied as before.
 */
const fs = require('fs');
const Module = require('module');
const path = require('path');

const compileJs = Module._extensions['.js'];
Module._extensions['.js'] = function compile(module, filename) {
  const lazyIndex = lazyIndexOf(filename);
  if (lazyIndex !== null) {
    return module._compile(lazyIndex, filename);
  }
  const compiled = compileJs(module, filename);
  for (const [parts, owner, name, replace] of CDKTF_REPLACEMENTS) {
    if (isPackageFile(filename, 'cdktf', parts)) {
      const target = owner(module.exports);
      if (target && typeof target[name] === 'function') {
        target[name] = replace(target[name]);
      }
    }
  }
  return compiled;
};

/** cdktf's functions this file replaces: [its file in the package, where the function
 * is in the module's exports, its name, the replacement given the original]. A file
 * without that function (another cdktf version) is left as it is. */
const CDKTF_REPLACEMENTS = [
  [['lib', 'tokens', 'private', 'stack-trace.js'], (exports) => exports, 'captureStackTrace', () => captureStackTrace],
  [['lib', 'private', 'fs.js'], (exports) => exports, 'copySync', (copySync) => linkingWhenAsked(copySync)],
  [
    ['lib', 'terraform-asset.js'],
    (exports) => exports.TerraformAsset && exports.TerraformAsset.prototype,
    '_onSynthesize',
    (synthesize) => askingToLink(synthesize),
  ],
];

/** Whether `filename` is `parts` (a path inside a package) of the package `name`. */
function isPackageFile(filename, name, parts) {
  const segments = filename.split(path.sep);
  if (segments.slice(-parts.length).join('/') !== parts.join('/')) {
    return false;
  }
  const root = segments.slice(0, -parts.length).join(path.sep);
  try {
    return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).name === name;
  } catch {
    return false;
  }
}

// 1. The AWS provider, one module at a time

const LAZY_PACKAGE = '@cdktf/provider-aws';
const REEXPORT = /^exports\.([A-Za-z_$][\w$]*) = require\(("\.\/[\w./-]+")\);$/;
const INERT = [
  /^$/,
  /^"use strict";$/,
  /^\s*(\/\/|\/\*\*|\*)/, // comments, the source map's among them
  /^Object\.defineProperty\(exports, "__esModule", \{ value: true \}\);$/,
  /^exports\.[\w$]+( = exports\.[\w$]+)* = void 0;$/, // TypeScript's forward declarations
];

/** The lazy source of `filename` if it is the provider's entry point, else null. */
function lazyIndexOf(filename) {
  if (!isPackageFile(filename, LAZY_PACKAGE, ['lib', 'index.js'])) {
    return null;
  }
  const lines = ['"use strict";', 'Object.defineProperty(exports, "__esModule", { value: true });', lazy.toString()];
  for (const line of fs.readFileSync(filename, 'utf8').split('\n')) {
    const reexport = REEXPORT.exec(line);
    if (reexport) {
      lines.push(`lazy(${JSON.stringify(reexport[1])}, () => require(${reexport[2]}));`);
    } else if (!INERT.some((shape) => shape.test(line))) {
      process.stderr.write(
        `datalake_cdktf: ${LAZY_PACKAGE}'s index is not laid out as expected; loading it eagerly (slower synth)\n`,
      );
      return null;
    }
  }
  return lines.join('\n');
}

/** (Compiled into the lazy index.) */
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

// 2. Creation stacks formatted when read

/** Every frame below `below` (default: this function), as lines without "at ", like
 * cdktf's; an array whose lines are formatted the first time anything reads it. */
function captureStackTrace(below) {
  const frames = {};
  const previousLimit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = Number.MAX_SAFE_INTEGER;
    Error.captureStackTrace(frames, below || captureStackTrace); // V8 formats `frames.stack` on first read
  } finally {
    Error.stackTraceLimit = previousLimit;
  }
  const lines = [];
  let formatted = false;
  const format = () => {
    if (!formatted) {
      formatted = true;
      if (frames.stack) {
        lines.push(...frames.stack.split('\n').slice(1).map((line) => line.replace(/^\s*at\s+/, '')));
      }
    }
    return lines;
  };
  const handler = {};
  for (const trap of Object.getOwnPropertyNames(Reflect)) {
    handler[trap] = (target, ...args) => Reflect[trap](format(), ...args);
  }
  return new Proxy(lines, handler);
}

// 3. Content-addressed asset folders linked into the stacks

const LINK_CONTEXT = 'datalake_cdktf:link-files';
const UNLINKABLE = new Set(['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP']);
let linking = false; // true while an asset marked with LINK_CONTEXT writes itself into a stack

/** TerraformAsset's `_onSynthesize` (which copies the asset into the stack with the
 * private `copySync`), asking that copy to link when the asset is marked. */
function askingToLink(synthesize) {
  return function _onSynthesize(...args) {
    if (this.node.tryGetContext(LINK_CONTEXT) !== true) {
      return synthesize.apply(this, args);
    }
    linking = true;
    try {
      return synthesize.apply(this, args);
    } finally {
      linking = false;
    }
  };
}

/** cdktf's `copySync(src, dest)` (a folder, into a new folder), which links the files
 * while `linking`: the same tree as the copy, each file a hard link to its source. */
function linkingWhenAsked(copySync) {
  return function linkOrCopySync(src, dest) {
    if (!linking) {
      return copySync(src, dest);
    }
    const walk = (relative) => {
      const folder = path.resolve(src, relative);
      fs.mkdirSync(path.resolve(dest, relative), { recursive: true });
      for (const name of fs.readdirSync(folder)) {
        const item = path.join(relative, name);
        const source = path.resolve(src, item);
        const stat = fs.statSync(source);
        if (stat.isDirectory()) {
          walk(item);
        } else if (stat.isFile()) {
          linkFile(source, path.resolve(dest, item));
        }
      }
    };
    walk('.');
  };
}

function linkFile(source, target) {
  try {
    fs.linkSync(source, target);
  } catch (error) {
    if (error.code === 'EEXIST') {
      fs.unlinkSync(target); // never written through: it may be a link to another source
      return linkFile(source, target);
    }
    if (!UNLINKABLE.has(error.code)) {
      throw error;
    }
    fs.copyFileSync(source, target);
  }
}
