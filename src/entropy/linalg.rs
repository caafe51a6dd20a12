//! Small dense `f64` linear algebra on the host, for the `d × d` work of EM:
//! Cholesky factors, triangular inverses, symmetric eigenvectors and KNIFE's
//! precision factor.
//!
//! Matrices are row-major `n × n` slices.

/// `a · b` for `n × n` matrices.
pub(crate) fn matmul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for l in 0..n {
            let a_il = a[i * n + l];
            if a_il == 0.0 {
                continue;
            }
            for j in 0..n {
                out[i * n + j] += a_il * b[l * n + j];
            }
        }
    }
    out
}

/// `aᵀ` for an `n × n` matrix.
pub(crate) fn transpose(a: &[f64], n: usize) -> Vec<f64> {
    (0..n * n).map(|ij| a[(ij % n) * n + ij / n]).collect()
}

/// The lower Cholesky factor `C` of a symmetric positive definite `a`
/// (`C Cᵀ = a`, positive diagonal). `Err(j)` names the first pivot that is not
/// a positive finite number (the matrix is not positive definite, or holds NaN).
pub(crate) fn cholesky(a: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    let mut c = vec![0.0; n * n];
    for j in 0..n {
        let mut pivot = a[j * n + j];
        for l in 0..j {
            pivot -= c[j * n + l] * c[j * n + l];
        }
        if !(pivot.is_finite() && pivot > 0.0) {
            return Err(j);
        }
        let diag = pivot.sqrt();
        c[j * n + j] = diag;
        for i in j + 1..n {
            let mut value = a[i * n + j];
            for l in 0..j {
                value -= c[i * n + l] * c[j * n + l];
            }
            c[i * n + j] = value / diag;
        }
    }
    Ok(c)
}

/// The inverse of a lower-triangular `c` with a non-zero diagonal (itself lower
/// triangular), by forward substitution.
pub(crate) fn lower_inverse(c: &[f64], n: usize) -> Vec<f64> {
    let mut inv = vec![0.0; n * n];
    for col in 0..n {
        inv[col * n + col] = 1.0 / c[col * n + col];
        for i in col + 1..n {
            let mut sum = 0.0;
            for l in col..i {
                sum += c[i * n + l] * inv[l * n + col];
            }
            inv[i * n + col] = -sum / c[i * n + i];
        }
    }
    inv
}

/// The eigenvalues of a symmetric `n × n` matrix `a`, largest first, and its
/// eigenvectors as the columns of the row-major `n × n` result, in the same
/// order, by cyclic Jacobi rotations (accurate to rounding for every
/// eigenvalue, small or large; `O(n³)` per sweep, a handful of sweeps).
pub(crate) fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = a.to_vec();
    let mut v: Vec<f64> = (0..n * n)
        .map(|ij| f64::from(u8::from(ij / n == ij % n)))
        .collect();
    for _sweep in 0..64 {
        let off: f64 = (0..n)
            .flat_map(|p| (p + 1..n).map(move |q| (p, q)))
            .map(|(p, q)| a[p * n + q] * a[p * n + q])
            .sum();
        let diagonal: f64 = (0..n).map(|p| a[p * n + p] * a[p * n + p]).sum();
        if off <= f64::EPSILON * f64::EPSILON * diagonal || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                // The rotation that zeroes a_pq: tan θ = t, the smaller root.
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let sign = if theta >= 0.0 { 1.0 } else { -1.0 };
                let t = sign / (theta.abs() + theta.hypot(1.0));
                let c = 1.0 / t.hypot(1.0);
                let s = t * c;
                for k in 0..n {
                    let (kp, kq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * kp - s * kq;
                    a[k * n + q] = s * kp + c * kq;
                }
                for k in 0..n {
                    let (pk, qk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * pk - s * qk;
                    a[q * n + k] = s * pk + c * qk;
                }
                for k in 0..n {
                    let (kp, kq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * kp - s * kq;
                    v[k * n + q] = s * kp + c * kq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[j * n + j].total_cmp(&a[i * n + i]));
    let values = order.iter().map(|&i| a[i * n + i]).collect();
    let vectors = (0..n * n)
        .map(|ij| v[(ij / n) * n + order[ij % n]])
        .collect();
    (values, vectors)
}

/// The lower-triangular `M` with a positive diagonal such that `MᵀM = p`, for a
/// symmetric positive definite precision `p`: with `J` the exchange matrix and
/// `G` the Cholesky factor of `J p J`, `M = J Gᵀ J`. `Err(j)` as [`cholesky`].
///
/// EM has the covariance `Σ = C Cᵀ` rather than `p = Σ⁻¹`, and uses the same
/// (unique) factor by the shorter route `M = C⁻¹`, which never forms `Σ⁻¹`; this
/// construction is kept as the tests' independent check of that route.
#[cfg(test)]
pub(crate) fn precision_factor(p: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    let flip = |i: usize| n - 1 - i;
    let reversed: Vec<f64> = (0..n * n)
        .map(|ij| p[flip(ij / n) * n + flip(ij % n)])
        .collect();
    let g = cholesky(&reversed, n).map_err(flip)?;
    // (J Gᵀ J)_ij = Gᵀ_{n−1−i, n−1−j} = G_{n−1−j, n−1−i}.
    Ok((0..n * n)
        .map(|ij| g[flip(ij % n) * n + flip(ij / n)])
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    /// A random symmetric positive definite matrix `B Bᵀ + 0.1 I`.
    fn spd(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = SeededRng::new(seed);
        let b: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
        let mut a = matmul(&b, &transpose(&b, n), n);
        (0..n).for_each(|i| a[i * n + i] += 0.1);
        a
    }

    fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn cholesky_reproduces_its_matrix() {
        for n in [1, 2, 5, 17] {
            let a = spd(n, n as u64);
            let c = cholesky(&a, n).unwrap();
            assert!((0..n).all(|i| (i + 1..n).all(|j| c[i * n + j] == 0.0)));
            let back = matmul(&c, &transpose(&c, n), n);
            assert!(max_abs_diff(&back, &a) < 1e-9, "n = {n}");
        }
    }

    #[test]
    fn lower_inverse_is_an_inverse() {
        let n = 9;
        let c = cholesky(&spd(n, 4), n).unwrap();
        let product = matmul(&c, &lower_inverse(&c, n), n);
        let eye: Vec<f64> = (0..n * n)
            .map(|ij| f64::from(u8::from(ij / n == ij % n)))
            .collect();
        assert!(max_abs_diff(&product, &eye) < 1e-10);
    }

    /// The exchange-matrix construction against the identity `MᵀM = P`, computed
    /// by a plain product, and against the other route to the same (unique)
    /// factor: `M = C⁻¹` with `C Cᵀ = P⁻¹`.
    #[test]
    fn precision_factor_satisfies_mt_m_equals_p() {
        for n in [1, 2, 3, 8, 20] {
            let p = spd(n, 100 + n as u64);
            let m = precision_factor(&p, n).unwrap();
            // Lower triangular with a positive diagonal.
            assert!((0..n).all(|i| m[i * n + i] > 0.0));
            assert!((0..n).all(|i| (i + 1..n).all(|j| m[i * n + j] == 0.0)));
            let mut mtm = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    mtm[i * n + j] = (0..n).map(|l| m[l * n + i] * m[l * n + j]).sum();
                }
            }
            let scale = p.iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(max_abs_diff(&mtm, &p) < 1e-10 * scale, "n = {n}");

            // Σ = P⁻¹ by Gauss–Jordan (independent of the Cholesky code).
            let sigma = gauss_jordan_inverse(&p, n);
            let c = cholesky(&sigma, n).unwrap();
            let other = lower_inverse(&c, n);
            let mscale = m.iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(max_abs_diff(&other, &m) < 1e-8 * mscale, "n = {n}");
        }
    }

    #[test]
    fn symmetric_eigen_reconstructs_its_matrix() {
        for n in [1, 2, 6, 30] {
            let a = spd(n, 50 + n as u64);
            let (values, v) = symmetric_eigen(&a, n);
            assert!(values.windows(2).all(|w| w[0] >= w[1]), "{values:?}");
            // V diag(λ) Vᵀ = A and VᵀV = I, by plain products.
            let scaled: Vec<f64> = (0..n * n).map(|ij| v[ij] * values[ij % n]).collect();
            let back = matmul(&scaled, &transpose(&v, n), n);
            let scale = a.iter().map(|x| x.abs()).fold(0.0, f64::max);
            assert!(max_abs_diff(&back, &a) < 1e-11 * scale, "n = {n}");
            let eye: Vec<f64> = (0..n * n)
                .map(|ij| f64::from(u8::from(ij / n == ij % n)))
                .collect();
            assert!(max_abs_diff(&matmul(&transpose(&v, n), &v, n), &eye) < 1e-12);
        }
        // Known spectrum: [[2, 1], [1, 2]] has eigenvalues 3 and 1.
        let (values, _) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 3.0).abs() < 1e-15 && (values[1] - 1.0).abs() < 1e-15);
    }

    #[test]
    fn not_positive_definite_names_the_pivot() {
        // [[1, 2], [2, 1]] has eigenvalues 3 and −1.
        assert_eq!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2), Err(1));
        assert_eq!(cholesky(&[f64::NAN], 1), Err(0));
        assert!(precision_factor(&[1.0, 2.0, 2.0, 1.0], 2).is_err());
    }

    fn gauss_jordan_inverse(a: &[f64], n: usize) -> Vec<f64> {
        let mut m = a.to_vec();
        let mut inv: Vec<f64> = (0..n * n)
            .map(|ij| f64::from(u8::from(ij / n == ij % n)))
            .collect();
        for col in 0..n {
            let pivot_row = (col..n)
                .max_by(|&x, &y| m[x * n + col].abs().total_cmp(&m[y * n + col].abs()))
                .unwrap();
            for j in 0..n {
                m.swap(col * n + j, pivot_row * n + j);
                inv.swap(col * n + j, pivot_row * n + j);
            }
            let pivot = m[col * n + col];
            for j in 0..n {
                m[col * n + j] /= pivot;
                inv[col * n + j] /= pivot;
            }
            for row in 0..n {
                if row != col {
                    let factor = m[row * n + col];
                    for j in 0..n {
                        m[row * n + j] -= factor * m[col * n + j];
                        inv[row * n + j] -= factor * inv[col * n + j];
                    }
                }
            }
        }
        inv
    }
}
