// The door of cli/: main(argv), what bin/lbagent.js and the single executables run.
export * from './main.js';
