//! GRUB's Reed-Solomon repair of an embedded i386-pc core image, computed the way
//! GRUB computes it at boot, so that the bytes bootvet then decodes are the bytes
//! GRUB's decompressor will run on.
//!
//! When grub-setup embeds core.img (BIOS boot partition, gap after the MBR) it fills
//! the unused embedding sectors with Reed-Solomon codes over everything after the
//! decompressor's first `no_rs_length` bytes (util/setup.c,
//! `grub_reed_solomon_add_redundancy`). Before decompressing, startup_raw.S calls
//! `grub_reed_solomon_recover` (grub-core/lib/reed_solomon.c, unchanged from 2.00 to
//! 2.12) over that region. Its scheme, which this module follows step for step
//! because a decoder that corrects "better" than GRUB's would predict bytes GRUB
//! never produces:
//! - GF(2^8) with polynomial x^8+x^4+x^3+x^2+1 (`GF_POLYNOMIAL 0x1d`), generator 2;
//! - data and codes are cut into blocks of at most 200 sectors together, each
//!   block's data and code share in proportion to the whole (`MAX_BLOCK_SIZE`);
//! - within a block, byte `i` of every data sector and byte `i` of every code sector
//!   form one codeword: 512 interleaved codewords, so a damaged sector costs each
//!   codeword one symbol and a codeword with `r` code symbols repairs `r/2` sectors;
//! - each codeword is decoded by syndromes, a Gaussian elimination for the error
//!   locator (Peterson's method), a search over every position, and a second
//!   elimination for the error values; positions in the code part are corrected in
//!   the codeword but only the data part is written back;
//! - the whole repair is skipped when more than half of the code area ends in
//!   zero bytes (a core embedded without codes, or codes wiped).
//!
//! Work is bounded by the block size: a codeword has at most ~200 symbols, so each of
//! the 512 columns of a block costs at most a few hundred thousand field operations,
//! and blocks grow linearly with the input (which GRUB's own limit keeps under 888
//! sectors).

const SECTOR: usize = 512;
/// `MAX_BLOCK_SIZE` in sectors: data plus code of one block.
const BLOCK_SECTORS: usize = 200;
const FIELD: usize = 255;

/// Log and antilog tables of GF(2^8) over GRUB's polynomial.
struct Field {
    /// α^i for i in 0..510 (doubled so sums of two logs need no reduction).
    pow: [u8; 2 * FIELD],
    /// log_α(a) for a ≠ 0; log[0] is 0 and never used as a product.
    log: [u8; 256],
}

impl Field {
    fn new() -> Field {
        let mut f = Field {
            pow: [0; 2 * FIELD],
            log: [0; 256],
        };
        let mut cur: u8 = 1;
        for i in 0..FIELD {
            f.pow[i] = cur;
            f.pow[i + FIELD] = cur;
            f.log[usize::from(cur)] = i as u8;
            cur = if cur & 0x80 != 0 {
                (cur << 1) ^ 0x1d
            } else {
                cur << 1
            };
        }
        f
    }

    fn mul(&self, a: u8, b: u8) -> u8 {
        if a == 0 || b == 0 {
            return 0;
        }
        self.pow[usize::from(self.log[usize::from(a)]) + usize::from(self.log[usize::from(b)])]
    }

    fn invert(&self, a: u8) -> u8 {
        self.pow[FIELD - usize::from(self.log[usize::from(a)])]
    }

    /// GRUB's `pol_evaluate`: `poly[0]` is the highest power's coefficient, and
    /// `x = α^log_x`.
    fn evaluate(&self, poly: &[u8], log_x: usize) -> u8 {
        let mut sum = 0u8;
        let mut log_xn = 0usize;
        for &c in poly.iter().rev() {
            if c != 0 {
                sum ^= self.pow[usize::from(self.log[usize::from(c)]) + log_xn];
            }
            log_xn += log_x;
            if log_xn >= FIELD {
                log_xn -= FIELD;
            }
        }
        sum
    }

    /// GRUB's `gauss_solve` over `rows` equations of `cols` unknowns (each row holds
    /// `cols + 1` entries, the last the right-hand side): forward elimination
    /// pivoting on each row's first non-zero column, without row exchanges, then
    /// back-substitution; unknowns no row chose stay 0.
    fn solve(&self, eq: &mut [u8], rows: usize, cols: usize, solution: &mut [u8]) {
        let stride = cols + 1;
        let mut chosen: Vec<Option<usize>> = vec![None; rows];
        solution[..cols].fill(0);
        for (i, chosen_here) in chosen.iter_mut().enumerate() {
            let row = i * stride;
            let Some(pivot) = (0..cols).find(|&c| eq[row + c] != 0) else {
                continue;
            };
            *chosen_here = Some(pivot);
            let r = self.invert(eq[row + pivot]);
            for k in 0..stride {
                eq[row + k] = self.mul(eq[row + k], r);
            }
            for j in i + 1..rows {
                let factor = eq[j * stride + pivot];
                if factor == 0 {
                    continue;
                }
                for k in 0..stride {
                    let v = self.mul(eq[row + k], factor);
                    eq[j * stride + k] ^= v;
                }
            }
        }
        for (i, &pivot) in chosen.iter().enumerate().rev() {
            let Some(pivot) = pivot else { continue };
            let row = i * stride;
            let mut s = eq[row + cols];
            for (j, &x) in solution[..cols].iter().enumerate() {
                s ^= self.mul(eq[row + j], x);
            }
            solution[pivot] = s;
        }
    }

    fn syndromes(&self, word: &[u8], code_len: usize, out: &mut Vec<u8>) {
        out.clear();
        out.extend((0..code_len).map(|i| self.evaluate(word, i)));
    }

    /// GRUB's `rs_recover` on one codeword of `word.len() - code_len` data symbols
    /// followed by `code_len` code symbols, in place.
    fn recover_word(&self, word: &mut [u8], code_len: usize) {
        let len = word.len();
        let mut sy = Vec::with_capacity(code_len);
        self.syndromes(word, code_len, &mut sy);
        if sy.iter().all(|&s| s == 0) {
            return;
        }
        let half = code_len / 2;
        let mut eq = vec![0u8; half * (half + 1)];
        for i in 0..half {
            for j in 0..=half {
                eq[i * (half + 1) + j] = sy[i + j];
            }
        }
        let mut sigma = vec![0u8; half];
        self.solve(&mut eq, half, half, &mut sigma);
        let mut located: Vec<(u8, usize)> = Vec::new();
        for i in 0..len {
            // GRUB evaluates at α^(255 - i); codewords stay under 255 symbols
            // (≤ 200-sector blocks), and the modulo keeps any length in range.
            let x = if half == 0 {
                0
            } else {
                self.evaluate(&sigma, FIELD - i % FIELD)
            };
            if x == self.pow[i] {
                located.push((self.pow[i], len - i - 1));
            }
        }
        let n = located.len();
        let stride = n + 1;
        eq.clear();
        eq.resize(code_len * stride, 0);
        for (j, _) in located.iter().enumerate() {
            eq[j] = 1;
        }
        eq[n] = sy[0];
        for i in 1..code_len {
            for (j, &(pot, _)) in located.iter().enumerate() {
                eq[i * stride + j] = self.mul(pot, eq[(i - 1) * stride + j]);
            }
            eq[i * stride + n] = sy[i];
        }
        let mut values = vec![0u8; n];
        self.solve(&mut eq, code_len, n, &mut values);
        for (&(_, at), v) in located.iter().zip(values) {
            word[at] ^= v;
        }
    }

    fn is_codeword(&self, word: &[u8], code_len: usize) -> bool {
        (0..code_len).all(|i| self.evaluate(word, i) == 0)
    }
}

/// What GRUB's repair does to a core image's protected region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RsOutcome {
    /// Every codeword was already valid: the region is as grub-setup wrote it.
    Intact,
    /// GRUB skips the repair: more than half of the code area ends in zeros.
    Skipped,
    /// GRUB changes these data bytes, and afterwards every codeword is valid.
    Repaired {
        bytes: usize,
        /// The sectors touched, as `(base + offset) / 512` (see [`recover`]).
        sectors: Vec<usize>,
    },
    /// After GRUB's repair some codewords are still invalid: more sectors are
    /// damaged than the codes cover, and the data GRUB goes on with is not what
    /// grub-setup wrote.
    Unrepairable {
        /// Columns (byte offsets within a sector, per block) left invalid.
        bad_words: usize,
        /// The most sectors any block's codewords could repair.
        repairable_sectors: usize,
    },
    /// GRUB's block split makes no progress on these sizes (`cs` rounds to 0 with
    /// data left): its startup code loops for ever.
    Endless,
}

/// Runs `grub_reed_solomon_recover(data, data.len(), code.len())` on `data` in place.
/// `base` is where `data` starts in the caller's sector numbering (the core image's
/// protected region starts mid-sector).
pub fn recover(data: &mut [u8], code: &[u8], base: usize) -> RsOutcome {
    if code.is_empty() {
        return RsOutcome::Intact;
    }
    let trailing_zeros = code.iter().rev().take_while(|&&b| b == 0).count();
    if trailing_zeros > code.len() / 2 {
        return RsOutcome::Skipped;
    }
    let field = Field::new();
    let original = data.to_vec();
    let (mut s_off, mut r_off) = (0usize, 0usize);
    let (mut s, mut rs) = (data.len(), code.len());
    let (mut bad_words, mut repairable) = (0usize, 0usize);
    let mut word = Vec::with_capacity(2 * BLOCK_SECTORS + 2);
    while s > 0 {
        let (mut cs, mut crs) = (s, rs);
        let total = cs + crs;
        if total > BLOCK_SECTORS * SECTOR {
            cs = cs * BLOCK_SECTORS / total * SECTOR;
            crs = crs * BLOCK_SECTORS / total * SECTOR;
        }
        if cs == 0 {
            return RsOutcome::Endless;
        }
        for i in 0..SECTOR {
            let ds = (cs + SECTOR - 1 - i) / SECTOR;
            let rr = (crs + SECTOR - 1 - i) / SECTOR;
            if ds == 0 || rr == 0 {
                continue;
            }
            repairable = repairable.max(rr / 2);
            word.clear();
            word.extend((0..ds).map(|j| data[s_off + SECTOR * j + i]));
            word.extend((0..rr).map(|j| code[r_off + SECTOR * j + i]));
            field.recover_word(&mut word, rr);
            if !field.is_codeword(&word, rr) {
                bad_words += 1;
            }
            for (j, &b) in word[..ds].iter().enumerate() {
                data[s_off + SECTOR * j + i] = b;
            }
        }
        s_off += cs;
        r_off += crs;
        s -= cs;
        rs -= crs;
    }
    if bad_words > 0 {
        return RsOutcome::Unrepairable {
            bad_words,
            repairable_sectors: repairable,
        };
    }
    let mut sectors: Vec<usize> = Vec::new();
    let mut bytes = 0;
    for (at, (a, b)) in original.iter().zip(data.iter()).enumerate() {
        if a != b {
            bytes += 1;
            let sector = (base + at) / SECTOR;
            if sectors.last() != Some(&sector) {
                sectors.push(sector);
            }
        }
    }
    if bytes == 0 {
        RsOutcome::Intact
    } else {
        RsOutcome::Repaired { bytes, sectors }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An encoder written from the same definition (codeword = data ‖ code with
    /// every syndrome S_i = c(α^i) zero for i < r), to test the decoder without GRUB.
    fn encode(field: &Field, data: &[u8], r: usize) -> Vec<u8> {
        // Generator g(x) = Π_{j<r} (x - α^j), highest power first.
        let mut g = vec![1u8];
        for j in 0..r {
            let root = field.pow[j];
            let mut next = vec![0u8; g.len() + 1];
            for (k, &c) in g.iter().enumerate() {
                next[k] ^= c;
                next[k + 1] ^= field.mul(c, root);
            }
            g = next;
        }
        let mut rem: Vec<u8> = data
            .iter()
            .copied()
            .chain(std::iter::repeat_n(0, r))
            .collect();
        for k in 0..data.len() {
            let f = rem[k];
            if f != 0 {
                for (m, &c) in g.iter().enumerate() {
                    rem[k + m] ^= field.mul(c, f);
                }
            }
        }
        rem[data.len()..].to_vec()
    }

    fn region(data_sectors: usize, code_sectors: usize) -> (Vec<u8>, Vec<u8>) {
        let field = Field::new();
        let data: Vec<u8> = (0..data_sectors * SECTOR)
            .map(|i| (i * 7 + i / 512) as u8)
            .collect();
        let mut code = vec![0u8; code_sectors * SECTOR];
        for i in 0..SECTOR {
            let column: Vec<u8> = (0..data_sectors).map(|j| data[j * SECTOR + i]).collect();
            for (j, c) in encode(&field, &column, code_sectors)
                .into_iter()
                .enumerate()
            {
                code[j * SECTOR + i] = c;
            }
        }
        (data, code)
    }

    #[test]
    fn repairs_up_to_half_the_code_sectors_and_not_more() {
        let (data, code) = region(20, 10);
        let mut damaged = data.clone();
        assert_eq!(recover(&mut damaged, &code, 0), RsOutcome::Intact);
        for s in [3, 7, 8, 15, 19] {
            damaged[s * SECTOR..(s + 1) * SECTOR].fill(0xff);
        }
        let outcome = recover(&mut damaged, &code, 0);
        assert!(
            matches!(&outcome, RsOutcome::Repaired { sectors, .. } if sectors == &[3, 7, 8, 15, 19]),
            "{outcome:?}"
        );
        assert_eq!(damaged, data);
        for s in 0..6 {
            damaged[s * SECTOR..(s + 1) * SECTOR].fill(0x5a);
        }
        assert!(matches!(
            recover(&mut damaged, &code, 0),
            RsOutcome::Unrepairable {
                repairable_sectors: 5,
                ..
            }
        ));
    }

    #[test]
    fn skips_codes_that_end_mostly_in_zeros() {
        let (mut data, mut code) = region(4, 4);
        let half = code.len() / 2;
        code[half - 1..].fill(0);
        data[0] ^= 1;
        assert_eq!(recover(&mut data, &code, 0), RsOutcome::Skipped);
    }

    #[test]
    fn a_block_split_that_makes_no_progress_is_endless() {
        let mut data = vec![1u8; 100];
        let code = vec![1u8; 200 * SECTOR];
        assert_eq!(recover(&mut data, &code, 0), RsOutcome::Endless);
    }
}
