// Preloaded into the demo's child processes: when the demo itself dies (even by SIGKILL), the child is
// re-parented; it then stops as on SIGTERM, so no balancer or app server is left behind.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 500).unref();
