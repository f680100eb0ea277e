// Closed forms for a Linear classifier under mean softmax cross-entropy, in float64, for checking the
// native Hessian code. Parameters are ordered like the state dict: weight [C, D] row-major, then bias [C].
// With x_n = [f_n; 1] and p_n = softmax(W f_n + b):
//   gradient  g = mean_n (p_n − e_{y_n}) ⊗ x_n
//   Hessian   H = mean_n (diag(p_n) − p_n p_nᵀ) ⊗ x_n x_nᵀ

export interface LinearProblem {
  features: Float32Array; // [N, D]
  labels: ArrayLike<number>;
  weight: Float32Array; // [C, D]
  bias: Float32Array; // [C]
  numClasses: number;
}

function probabilities(p: LinearProblem, n: number, d: number): Float64Array {
  const c = p.numClasses;
  const z = new Float64Array(c);
  for (let k = 0; k < c; k += 1) {
    let s = p.bias[k];
    for (let j = 0; j < d; j += 1) s += p.weight[k * d + j] * p.features[n * d + j];
    z[k] = s;
  }
  const max = Math.max(...z);
  let sum = 0;
  for (let k = 0; k < c; k += 1) sum += (z[k] = Math.exp(z[k] - max));
  for (let k = 0; k < c; k += 1) z[k] /= sum;
  return z;
}

export function linearClassifierClosedForm(p: LinearProblem, rows?: ArrayLike<number>) {
  const c = p.numClasses, d = p.weight.length / c, size = c * d + c;
  const examples = rows ?? Array.from({ length: p.labels.length }, (_, i) => i);
  const m = examples.length;
  const hessian = new Float64Array(size * size);
  const gradient = new Float64Array(size);
  let loss = 0;
  const classOf = (i: number) => (i < c * d ? Math.floor(i / d) : i - c * d);
  for (const n of Array.from(examples)) {
    const prob = probabilities(p, n, d);
    const x = (i: number) => (i < c * d ? p.features[n * d + (i % d)] : 1);
    loss -= Math.log(prob[p.labels[n]]) / m;
    for (let i = 0; i < size; i += 1) {
      const ci = classOf(i), xi = x(i);
      gradient[i] += ((prob[ci] - (p.labels[n] === ci ? 1 : 0)) * xi) / m;
      for (let j = 0; j < size; j += 1) {
        const cj = classOf(j);
        const a = (ci === cj ? prob[ci] : 0) - prob[ci] * prob[cj];
        hessian[i * size + j] += (a * xi * x(j)) / m;
      }
    }
  }
  return { size, loss, gradient, hessian };
}
