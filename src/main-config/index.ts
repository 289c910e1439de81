// The door of main-config/: lbagent.yml, composed once from each part's sections.
export * from './main.js';
