/**
 * Counts event-loop turns (one setImmediate callback per turn) from now until `stop()`. Work
 * that holds the thread lets no turn run, so a count well above a handful over a long piece of
 * work shows the event loop stayed free.
 */
export function countTurns(): { readonly turns: number; stop(): number } {
  let turns = 0;
  let running = true;
  const spin = () => {
    turns++;
    if (running) setImmediate(spin);
  };
  setImmediate(spin);
  return {
    get turns() {
      return turns;
    },
    stop() {
      running = false;
      return turns;
    },
  };
}
