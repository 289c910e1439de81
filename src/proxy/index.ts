// The door of the running proxy: startDataPlane (the built-in proxy or HAProxy, the admin API, the stats page) and
// a proxy worker's entry. Its config language (sections, model, balance words, rules) has its own door,
// model/index.ts, which lbagent.yml's composition and `lbagent import` use without loading the engine.
export * from './data-plane.js';
export * from './cluster/worker.js';
