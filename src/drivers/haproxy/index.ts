// The door of drivers/haproxy/: the HAProxy PoolDriver (runtime API) and its section of lbagent.yml.
export * from './config.js';
export * from './driver.js';
