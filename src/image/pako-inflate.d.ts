// pako's inflate alone (its CommonJS lib/inflate.js): the package's ES module bundles deflate too,
// whose tables the bundler cannot drop, and nothing here deflates. Typed by @types/pako.
declare module 'pako/lib/inflate.js' {
  export { Inflate } from 'pako';
}
