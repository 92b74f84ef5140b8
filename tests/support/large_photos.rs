//! 12-megapixel photo-like JPEGs for benchmarks and load tests: 4000×3000, quality 90, 4:2:0,
//! no EXIF, about 3 MB each, like a phone's photo of farmland. A seed lays out the scene (the
//! horizon, or none when looking down; fields of crops in perspective; clouds) and texture and
//! sensor noise come on top, so that seeds give visibly different pictures with different
//! perceptual hashes. [`twelve_megapixel_set`] keeps the files under
//! `target/test-fixtures/12mp/` so that reruns do not make them again.

use std::f32::consts::TAU;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The photos' size.
pub const WIDTH: u32 = 4000;
pub const HEIGHT: u32 = 3000;
const QUALITY: u8 = 90;
/// Part of the cached files' names: change it whenever the pictures change.
const VERSION: u32 = 1;
/// The scene's large-scale structure is drawn every `BASE` pixels and interpolated.
const BASE: u32 = 8;
/// Texture: value noise with cells of these sizes (pixels), and their weights.
const TEXTURE: [(u32, f32); 2] = [(3, 0.6), (11, 0.4)];
/// Sensor noise, ± this much on each channel.
const NOISE: f32 = 6.0;

/// A deterministic 12 MP JPEG whose content depends on `seed`.
pub fn twelve_megapixel_jpeg(seed: u64) -> Vec<u8> {
    let rgb = pixels(seed);
    tianzhang_server::photos::imaging::encode_jpeg(&rgb, WIDTH, HEIGHT, QUALITY)
        .expect("encode the 12 MP photo")
}

/// `count` different 12 MP JPEGs (seeds 0, 1, …), from the cache when they were made before;
/// those missing are made on all cores.
pub fn twelve_megapixel_set(count: usize) -> Vec<Vec<u8>> {
    let dir = cache_dir();
    fs::create_dir_all(&dir).expect("create the fixture cache");
    let files: Vec<(u64, PathBuf)> = (0..count as u64)
        .map(|seed| (seed, dir.join(format!("v{VERSION}-seed{seed}.jpg"))))
        .collect();
    let missing: Vec<&(u64, PathBuf)> = files.iter().filter(|(_, p)| !p.exists()).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(missing.len());
    std::thread::scope(|scope| {
        for t in 0..threads {
            let mine: Vec<_> = missing.iter().skip(t).step_by(threads).collect();
            let dir = &dir;
            scope.spawn(move || {
                for (seed, path) in mine {
                    // Written aside and renamed, so that a concurrent or interrupted run never
                    // leaves a partial file under the final name.
                    let mut file = tempfile::NamedTempFile::new_in(dir).unwrap();
                    file.write_all(&twelve_megapixel_jpeg(*seed)).unwrap();
                    file.persist(path).unwrap();
                }
            });
        }
    });
    files
        .iter()
        .map(|(_, path)| fs::read(path).expect("read a cached 12 MP photo"))
        .collect()
}

/// `$CARGO_TARGET_DIR/test-fixtures/12mp` (a relative target directory is taken from the
/// workspace's root), or the workspace's `target/test-fixtures/12mp`.
fn cache_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| workspace.join("target"), |dir| workspace.join(dir));
    target.join("test-fixtures").join("12mp")
}

/// The scene's RGB pixels, rows packed.
fn pixels(seed: u64) -> Vec<u8> {
    let layout = Layout::new(seed);
    let scene = Grid::new(BASE, |x, y| {
        layout.texel(x as f32 / HEIGHT as f32, y as f32 / HEIGHT as f32)
    });
    let textures = TEXTURE.map(|(cell, weight)| {
        let mut rng = Rng(mix(seed ^ u64::from(cell) << 48));
        Grid::new(cell, |_, _| [weight * (rng.unit() - 0.5)])
    });
    let width = WIDTH as usize;
    let mut rgb = vec![0; width * HEIGHT as usize * 3];
    let (mut colours, mut detail, mut texture) = (
        vec![[0.0; 4]; width],
        vec![[0.0]; width],
        vec![[0.0]; width],
    );
    for (y, out) in (0..HEIGHT).zip(rgb.chunks_exact_mut(width * 3)) {
        scene.row(y, &mut colours);
        detail.fill([0.0]);
        for grid in &textures {
            grid.row(y, &mut texture);
            for (sum, [value]) in detail.iter_mut().zip(&texture) {
                sum[0] += value;
            }
        }
        let mut noise = Rng(mix(seed ^ 0x6e6f_6973_6500_0000 ^ u64::from(y)));
        for ((pixel, [r, g, b, strength]), [detail]) in
            out.chunks_exact_mut(3).zip(&colours).zip(&detail)
        {
            let shade = 1.0 + 2.0 * strength * detail;
            // Grain with a triangular distribution, from two random bytes a channel.
            let bits = noise.next();
            let grain = |k: u32| {
                let pair = (bits >> (16 * k)) as u16;
                (f32::from(pair as u8) + f32::from((pair >> 8) as u8) - 255.0) * (NOISE / 255.0)
            };
            pixel[0] = (r * shade + grain(0)).clamp(0.0, 255.0) as u8;
            pixel[1] = (g * shade + grain(1)).clamp(0.0, 255.0) as u8;
            pixel[2] = (b * shade + grain(2)).clamp(0.0, 255.0) as u8;
        }
    }
    rgb
}

/// Crops and soil, seen from afar.
const FIELDS: [[f32; 3]; 8] = [
    [92.0, 128.0, 48.0],
    [120.0, 150.0, 60.0],
    [70.0, 105.0, 45.0],
    [180.0, 165.0, 90.0],
    [200.0, 180.0, 110.0],
    [130.0, 100.0, 70.0],
    [105.0, 80.0, 55.0],
    [150.0, 160.0, 80.0],
];
const SKY_TOP: [f32; 3] = [70.0, 118.0, 195.0];
const SKY_LOW: [f32; 3] = [185.0, 205.0, 225.0];
const CLOUD: [f32; 3] = [238.0, 238.0, 242.0];

/// What a seed decides about the scene.
struct Layout {
    seed: u64,
    /// Height of the horizon (fraction of the height; below 0 the camera looks down).
    horizon: f32,
    tilt: f32,
    /// Size of a field, in ground units, and the turn of the fields' grid.
    field: f32,
    turn: f32,
}

impl Layout {
    fn new(seed: u64) -> Layout {
        let mut rng = Rng(mix(seed));
        Layout {
            seed,
            horizon: -0.3 + 0.85 * rng.unit(),
            tilt: 0.16 * (rng.unit() - 0.5),
            field: 0.6 + 1.6 * rng.unit(),
            turn: TAU * rng.unit(),
        }
    }

    /// The colour and texture strength at `(u, v)`, `u` from 0 to the aspect ratio, `v` from 0
    /// (top) to 1.
    fn texel(&self, u: f32, v: f32) -> [f32; 4] {
        let seed = self.seed;
        let horizon = self.horizon + self.tilt * (u - 0.67) + 0.04 * fbm(seed, 1, u * 3.0, 0.0, 3);
        if v < horizon {
            let t = (v / horizon).clamp(0.0, 1.0).powf(0.7);
            let sky = lerp(SKY_TOP, SKY_LOW, t);
            let cloud = smoothstep(0.45, 0.75, fbm(seed, 2, u * 2.5, v * 7.0, 5));
            let [r, g, b] = lerp(sky, CLOUD, cloud * 0.85);
            return [r, g, b, 0.03];
        }
        // The ground in perspective: rows further up are further away.
        let below = v - horizon;
        let depth = 0.4 / (below + 0.03);
        let (gx, gy) = ((u - 0.67) * depth, depth);
        let (sin, cos) = self.turn.sin_cos();
        let (fx, fy) = (gx * cos - gy * sin, gx * sin + gy * cos);
        // Field edges wander a little, as real ones do.
        let wobble = 0.25 * self.field;
        let (fx, fy) = (
            fx + wobble * fbm(seed, 3, fx * 0.7, fy * 0.7, 2),
            fy + wobble * fbm(seed, 4, fx * 0.7, fy * 0.7, 2),
        );
        let (cx, cy) = ((fx / self.field).floor(), (fy / self.field).floor());
        let cell = mix(seed ^ mix((cx as i64 as u64) << 32 ^ (cy as i64 as u64)));
        let crop = FIELDS[(cell % FIELDS.len() as u64) as usize];
        // Rows of the crop, fading out where they would be finer than the base can draw.
        let angle = (cell >> 8) as f32 / (1u64 << 56) as f32 * TAU;
        let rows = ((fx * angle.cos() + fy * angle.sin()) * 40.0).sin();
        let rows = rows * 0.12 * ((below - 0.12) * 3.0).clamp(0.0, 1.0);
        let patchiness = 1.0 + 0.18 * fbm(seed, 5, fx * 2.0, fy * 2.0, 4) + rows;
        let haze = (-below * 9.0).exp() * 0.55;
        let [r, g, b] = lerp(crop.map(|c| c * patchiness), SKY_LOW, haze);
        [r, g, b, 0.4 * (1.0 - haze)]
    }
}

/// Fractal value noise in -1..1: `octaves` octaves from frequency 1 at `(x, y)`.
fn fbm(seed: u64, field: u64, x: f32, y: f32, octaves: u32) -> f32 {
    let (mut sum, mut amplitude, mut frequency, mut total) = (0.0, 1.0, 1.0, 0.0);
    for octave in 0..octaves {
        let key = mix(seed ^ (field << 40) ^ u64::from(octave));
        sum += amplitude * value_noise(key, x * frequency, y * frequency);
        total += amplitude;
        amplitude *= 0.5;
        frequency *= 2.0;
    }
    2.0 * sum / total - 1.0
}

/// Smoothly interpolated random values (0..1) at integer points.
fn value_noise(key: u64, x: f32, y: f32) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (tx, ty) = (smooth(x - x0), smooth(y - y0));
    let corner = |dx: i64, dy: i64| {
        let (cx, cy) = (x0 as i64 + dx, y0 as i64 + dy);
        unit(mix(key ^ mix((cx as u64) << 32 ^ cy as u64)))
    };
    let top = corner(0, 0) + (corner(1, 0) - corner(0, 0)) * tx;
    let bottom = corner(0, 1) + (corner(1, 1) - corner(0, 1)) * tx;
    top + (bottom - top) * ty
}

/// Values at every `cell` pixels over the full-size image (and a little beyond), interpolated
/// linearly in between.
struct Grid<const N: usize> {
    cell: u32,
    width: usize,
    values: Vec<[f32; N]>,
}

impl<const N: usize> Grid<N> {
    /// `value` is called with each point's pixel position, row by row.
    fn new(cell: u32, mut value: impl FnMut(u32, u32) -> [f32; N]) -> Grid<N> {
        let (width, height) = (WIDTH / cell + 2, HEIGHT / cell + 2);
        let mut values = Vec::with_capacity((width * height) as usize);
        for j in 0..height {
            for i in 0..width {
                values.push(value(i * cell, j * cell));
            }
        }
        Grid {
            cell,
            width: width as usize,
            values,
        }
    }

    /// Row `y` of the full-size image, `WIDTH` values.
    fn row(&self, y: u32, out: &mut [[f32; N]]) {
        let (j, ty) = (
            (y / self.cell) as usize,
            (y % self.cell) as f32 / self.cell as f32,
        );
        let top = &self.values[j * self.width..(j + 1) * self.width];
        let bottom = &self.values[(j + 1) * self.width..(j + 2) * self.width];
        let column: Vec<[f32; N]> = top
            .iter()
            .zip(bottom)
            .map(|(a, b)| lerp(*a, *b, ty))
            .collect();
        // Stepping along each span rather than interpolating every pixel afresh keeps unoptimised
        // (debug) builds of the tests bearable.
        for (i, span) in out.chunks_mut(self.cell as usize).enumerate() {
            let mut value = column[i];
            let mut step = column[i + 1];
            for k in 0..N {
                step[k] = (step[k] - value[k]) / self.cell as f32;
            }
            for pixel in span {
                *pixel = value;
                for k in 0..N {
                    value[k] += step[k];
                }
            }
        }
    }
}

/// xorshift64*: fast, and the same numbers on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn unit(&mut self) -> f32 {
        unit(self.next())
    }
}

/// SplitMix64's finaliser (never 0 for xorshift's sake).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) | 1
}

/// The top 24 bits as a number in 0..1.
fn unit(bits: u64) -> f32 {
    (bits >> 40) as f32 / (1u64 << 24) as f32
}

fn smooth(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

fn smoothstep(from: f32, to: f32, x: f32) -> f32 {
    smooth(((x - from) / (to - from)).clamp(0.0, 1.0))
}

fn lerp<const N: usize>(a: [f32; N], b: [f32; N], t: f32) -> [f32; N] {
    std::array::from_fn(|k| a[k] + (b[k] - a[k]) * t)
}
