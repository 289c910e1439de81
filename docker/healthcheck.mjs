// The image's HEALTHCHECK: healthy when the balancer's admin API or the agent's RPC answers HTTP at all (401
// included: no token is needed to see that the process serves). LBAGENT_HEALTH_URL checks one URL instead.
const urls = process.env.LBAGENT_HEALTH_URL
  ? [process.env.LBAGENT_HEALTH_URL]
  : ['http://127.0.0.1:9901/v1/stats', `http://${process.env.LBAGENT_RPC_ADDR ?? '127.0.0.1:7373'}/v1/info`];

for (const url of urls) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    if (res.status < 500) process.exit(0);
  } catch {
    // not this one
  }
}
console.error(`unhealthy: no answer from ${urls.join(' or ')}`);
process.exit(1);
