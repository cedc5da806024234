import { fieldError } from '../../../../common/validation';
import type { Row } from '../analytics-store';
import { columnMeans, featureMatrix, impute } from './dataset-source';
import { permutationImportance, type ImportanceUnit } from './importance';
import { fitLogistic, fitScaling, predictLogit, sigmoid, standardize } from './logistic';
import { auc, classificationMetrics } from './metrics';
import type { ClassifyParams } from './ml-model.schema';
import { Prng } from './prng';

/** Ridge penalty on the standardised coefficients: enough to keep separable data finite, negligible with hundreds of rows. */
const L2 = 1;
const THRESHOLD = 0.5;
const IMPORTANCE_REPEATS = 10;

/** What `predict` needs to score new rows exactly as training did. */
export interface ClassifierParams {
  features: string[];
  /** Training means: fill missing values, then standardise with `sds`. */
  means: number[];
  sds: number[];
  intercept: number;
  coefficients: number[];
  threshold: number;
}

export function scoreClassifier(m: ClassifierParams, raw: readonly (readonly number[])[]): number[] {
  return standardize(impute(raw, m.means), m).map((r) => sigmoid(predictLogit(m, r)));
}

function labelsOf(rows: readonly Row[], column: string): (number | null)[] {
  return rows.map((row, i) => {
    const v = row[column];
    if (v === null || v === undefined) return null;
    if (v === true || v === 1) return 1;
    if (v === false || v === 0) return 0;
    throw fieldError('params.targetColumn', `column "${column}" must be boolean or 0/1; row ${i + 1} has ${JSON.stringify(v)}`);
  });
}

/** Per class, a seeded shuffle puts round(fraction·n) rows (at least 1, leaving 1) in the test set. */
export function stratifiedSplit(labels: readonly (number | null)[], fraction: number, rng: Prng): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [0, 1]) {
    const idx = rng.shuffled(labels.flatMap((y, i) => (y === cls ? [i] : [])));
    const nTest = Math.min(idx.length - 1, Math.max(1, Math.round(fraction * idx.length)));
    test.push(...idx.slice(0, nTest));
    train.push(...idx.slice(nTest));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/** Each feature group is one unit; every feature outside the groups is its own unit. */
function importanceUnits(p: ClassifyParams): ImportanceUnit[] {
  const owner = new Map<string, string>();
  const units: ImportanceUnit[] = [];
  for (const [group, members] of Object.entries(p.featureGroups ?? {})) {
    const columns = members.map((f, k) => {
      const j = p.features.indexOf(f);
      if (j < 0) throw fieldError(`params.featureGroups.${group}.${k}`, `"${f}" is not one of params.features`);
      if (owner.has(f)) throw fieldError(`params.featureGroups.${group}.${k}`, `"${f}" is already in group ${owner.get(f)}`);
      owner.set(f, group);
      return j;
    });
    units.push({ name: group, columns });
  }
  p.features.forEach((f, j) => {
    if (!owner.has(f)) units.push({ name: f, columns: [j] });
  });
  return units;
}

export function trainClassifier(rows: readonly Row[], p: ClassifyParams) {
  const labels = labelsOf(rows, p.targetColumn);
  const raw = featureMatrix(rows, p.features);
  const positives = labels.filter((y) => y === 1).length;
  const negatives = labels.filter((y) => y === 0).length;
  if (positives < 2 || negatives < 2 || positives + negatives < 10) {
    throw fieldError('params.targetColumn', `needs at least 10 labelled rows with 2 or more of each class (to train and to test); found ${positives} positive and ${negatives} negative`);
  }
  const units = importanceUnits(p);
  const rng = new Prng(p.seed);
  const { train, test } = stratifiedSplit(labels, p.testFraction, rng);
  const means = columnMeans(train.map((i) => raw[i]!), p.features.length);
  const empty = means.findIndex((m) => Number.isNaN(m));
  if (empty >= 0) throw fieldError(`params.features.${empty}`, `column "${p.features[empty]}" has no values in the training rows`);
  const filled = impute(raw, means);
  const scaling = fitScaling(train.map((i) => filled[i]!));
  // Standardised with the imputation means, exactly as scoreClassifier will score new rows.
  const x = standardize(filled, { means, sds: scaling.sds });
  const fit = fitLogistic(train.map((i) => x[i]!), train.map((i) => labels[i]!), { l2: L2 });
  const model: ClassifierParams = { features: p.features, means, sds: scaling.sds, intercept: fit.intercept, coefficients: fit.coefficients, threshold: THRESHOLD };
  const probabilities = x.map((r) => sigmoid(predictLogit(model, r)));
  const testLabels = test.map((i) => labels[i]!);
  const held = classificationMetrics(test.map((i) => probabilities[i]!), testLabels, THRESHOLD);
  const importance = permutationImportance({ rows: test.map((i) => x[i]!), labels: testLabels, score: (r) => predictLogit(model, r), units, rng, repeats: IMPORTANCE_REPEATS });
  const metrics = {
    ...held,
    trainAuc: auc(train.map((i) => probabilities[i]!), train.map((i) => labels[i]!)),
    trainRows: train.length,
    testRows: test.length,
    unlabelledRows: labels.length - train.length - test.length,
    missingValues: Object.fromEntries(p.features.map((f, j) => [f, raw.filter((r) => Number.isNaN(r[j]!)).length]).filter(([, n]) => n)),
    converged: fit.converged,
    iterations: fit.iterations,
    l2: L2,
  };
  const factors = importance.units
    .map((u) => ({ name: u.name, features: u.columns.map((j) => p.features[j]!), share: u.share, aucDrop: u.aucDrop, aucDropSd: u.aucDropSd }))
    .sort((a, b) => b.share - a.share);
  return { model, metrics, ...coefficientTable(model), importance: factors, probabilities };
}

/** Coefficients per standard deviation (comparable across features) and per original unit, and the intercept both ways. */
function coefficientTable(m: ClassifierParams) {
  const coefficients = m.features.map((feature, j) => ({
    feature,
    perSd: m.coefficients[j]!,
    perUnit: m.coefficients[j]! / m.sds[j]!,
    oddsRatioPerSd: Math.exp(m.coefficients[j]!),
  }));
  const raw = m.intercept - m.features.reduce((s, _, j) => s + (m.coefficients[j]! * m.means[j]!) / m.sds[j]!, 0);
  return { coefficients, intercept: { perSd: m.intercept, raw } };
}
