// The ESM entry (`import ... from 'pof-torch'`): the CommonJS build's named exports, so both share one addon.
export * from './index.js';
