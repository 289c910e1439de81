// exit-with-parent.mjs is imported for its effect only (src/sea/entry.ts).
export {};
