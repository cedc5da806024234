/** The sample lines of one metric in Prometheus text, keyed by their label set (`{a="1",b="2"}`, or '' without labels). */
export function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(name.length, cut), Number(line.slice(cut + 1)));
  }
  return out;
}
