import { compileSafeRegex } from '../safe-regex';
import type { PromSample, PromText } from './prom-text';
import { anchored, type Selector } from './schema';

type LabelTest = (labels: Readonly<Record<string, string>>) => boolean;

/** One scrape, indexed by sample name so each selector reads only its metric's series. */
export class SampleIndex {
  private readonly byName = new Map<string, PromSample[]>();

  constructor(private readonly text: PromText) {
    for (const sample of text.samples) {
      const list = this.byName.get(sample.name);
      if (list) list.push(sample);
      else this.byName.set(sample.name, [sample]);
    }
  }

  get seriesCount(): number {
    return this.text.samples.length;
  }

  series(name: string): readonly PromSample[] {
    return this.byName.get(name) ?? [];
  }

  /**
   * Whether the scrape knows the metric even with no series: prom-client writes a labelled
   * counter's HELP and TYPE before its first increment, and a histogram declares `x` for
   * `x_bucket`, `x_sum` and `x_count`.
   */
  knows(name: string): boolean {
    if (this.byName.has(name) || this.text.families.has(name)) return true;
    const m = /^(.*)_(bucket|sum|count)$/.exec(name);
    const type = m ? this.text.families.get(m[1]!)?.type : undefined;
    return type === 'histogram' || (type === 'summary' && m![2] !== 'bucket');
  }
}

export interface CompiledSelector {
  metric: string;
  /** The matching series. */
  samples(index: SampleIndex): PromSample[];
  /** The values of the matching series. */
  values(index: SampleIndex): number[];
}

function labelTest(label: string, op: '=' | '!=' | '=~' | '!~', value: string): LabelTest {
  switch (op) {
    case '=':
      return (labels) => (labels[label] ?? '') === value;
    case '!=':
      return (labels) => (labels[label] ?? '') !== value;
    case '=~':
    case '!~': {
      // The schema already refused patterns RE2 cannot run or that are too large.
      const re = compileSafeRegex(anchored(value), 'selector');
      return op === '=~' ? (labels) => re.test(labels[label] ?? '') : (labels) => !re.test(labels[label] ?? '');
    }
  }
}

export function compileSelector(selector: Selector): CompiledSelector {
  const tests: LabelTest[] = [
    ...Object.entries(selector.labels ?? {}).map(([label, value]) => labelTest(label, '=', value)),
    ...(selector.matchers ?? []).map((m) => labelTest(m.label, m.op, m.value)),
  ];
  const samples = (index: SampleIndex) => index.series(selector.metric).filter((s) => tests.every((t) => t(s.labels)));
  return { metric: selector.metric, samples, values: (index) => samples(index).map((s) => s.value) };
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
