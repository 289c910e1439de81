// Lifeguard local health awareness: failed probes and refutations raise the score, successful probes lower it;
// timers are scaled by (score+1) so a slow node stops accusing healthy peers.
export class Awareness {
  private score = 0;

  constructor(private readonly max: number) {}

  apply(delta: number): number {
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta));
    return this.score;
  }

  health(): number {
    return this.score;
  }

  scale(ms: number): number {
    return ms * (this.score + 1);
  }
}
