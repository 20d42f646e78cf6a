import pkg from '../package.json';

/** What the Worker says about itself (the OpenAPI document's info, the inference protocol's server metadata). */
export const SERVER = { name: pkg.name, version: pkg.version, description: pkg.description } as const;
