// jpeg-js's decoder alone (its CommonJS lib/decoder.js, which exports the function): the package's
// index brings its encoder too, and nothing here encodes. Typed by jpeg-js's own declarations.
declare module 'jpeg-js/lib/decoder.js' {
  const decode: typeof import('jpeg-js').decode;
  export default decode;
}
