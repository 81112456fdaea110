/**
 * Rates and significance for reports. Pure: no project imports.
 */

/** part / whole, or null when the whole is zero (a rate of nothing is not 0 %). */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

export function formatPercent(r: number | null, digits = 1): string {
  return r === null ? "—" : `${(r * 100).toFixed(digits)} %`;
}

/** The standard normal CDF, via erfc (Numerical Recipes' Chebyshev fit, |error| < 1.2e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(z / Math.SQRT2));
  const x = Math.abs(z / Math.SQRT2);
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9).
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = c[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(s, x): series below s + 1, continued fraction above. */
export function gammaQ(s: number, x: number): number {
  if (x <= 0) return 1;
  if (x < s + 1) {
    let sum = 1 / s;
    let term = sum;
    for (let n = 1; n < 500; n++) {
      term *= x / (s + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + s * Math.log(x) - logGamma(s));
  }
  // Lentz's method.
  let b = x + 1 - s;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(-x + s * Math.log(x) - logGamma(s)) * h;
}

/** P(X ≥ x) for X ~ χ²(df). */
export function chiSquarePValue(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

export type Arm = { label: string; trials: number; successes: number };

export type TwoProportionResult = { z: number; pValue: number; lift: number | null };

/**
 * Two-sided two-proportion z-test with a pooled standard error (A/B with two arms). lift is
 * b's rate relative to a's (0.25 = 25 % better). Null when either arm is empty or the pooled
 * rate is 0 or 1 (no variance: nothing to test).
 */
export function twoProportionZTest(a: Arm, b: Arm): TwoProportionResult | null {
  if (a.trials === 0 || b.trials === 0) return null;
  const pa = a.successes / a.trials;
  const pb = b.successes / b.trials;
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  if (se === 0) return null;
  const z = (pb - pa) / se;
  return { z, pValue: 2 * (1 - normalCdf(Math.abs(z))), lift: pa > 0 ? (pb - pa) / pa : null };
}

export type ChiSquareResult = { chiSquare: number; df: number; pValue: number };

/**
 * Pearson's χ² test of independence on a k×2 table (converted or not, per arm), no continuity
 * correction: do the arms convert at different rates? Null with fewer than two non-empty arms
 * or no variance.
 */
export function chiSquareTest(arms: readonly Arm[]): ChiSquareResult | null {
  const used = arms.filter((a) => a.trials > 0);
  if (used.length < 2) return null;
  const n = used.reduce((s, a) => s + a.trials, 0);
  const x = used.reduce((s, a) => s + a.successes, 0);
  if (x === 0 || x === n) return null;
  let chi = 0;
  for (const a of used) {
    const expYes = (a.trials * x) / n;
    const expNo = (a.trials * (n - x)) / n;
    chi += (a.successes - expYes) ** 2 / expYes + (a.trials - a.successes - (a.trials - expYes)) ** 2 / expNo;
  }
  const df = used.length - 1;
  return { chiSquare: chi, df, pValue: chiSquarePValue(chi, df) };
}

export type SplitVerdict = {
  arms: (Arm & { rate: number | null })[];
  test: ChiSquareResult | null;
  /** Two arms: the z-test too (same p-value as χ² with df 1). */
  z: TwoProportionResult | null;
  significant: boolean;
  /** The arm with the best rate when significant. */
  leader: string | null;
};

/** The A/B verdict a report shows: rates, the test, and a leader only at p < alpha. */
export function splitVerdict(arms: readonly Arm[], alpha = 0.05): SplitVerdict {
  const test = chiSquareTest(arms);
  const z = arms.length === 2 ? twoProportionZTest(arms[0]!, arms[1]!) : null;
  const withRates = arms.map((a) => ({ ...a, rate: rate(a.successes, a.trials) }));
  const significant = test !== null && test.pValue < alpha;
  let leader: string | null = null;
  if (significant) {
    const best = [...withRates].sort((p, q) => (q.rate ?? -1) - (p.rate ?? -1))[0];
    leader = best?.label ?? null;
  }
  return { arms: withRates, test, z, significant, leader };
}
