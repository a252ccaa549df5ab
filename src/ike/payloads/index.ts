/** Every payload codec and type, for `import ... from './payloads/index.js'`. */
export * from './attributes.js';
export * from './attribute-payload.js';
export * from './cert.js';
export * from './data.js';
export * from './generic.js';
export * from './id.js';
export * from './nat-oa.js';
export * from './notify.js';
export * from './payload.js';
export * from './sa.js';
