//! Thumbnail benchmark: our renditions (libjpeg-turbo decoding at a DCT scale,
//! fast_image_resize Lanczos3, libjpeg-turbo encoding) against `vipsthumbnail`, on the same 20
//! photo-like 12 MP JPEGs ([`tianzhang_tests::large_photos`]), 400 px wide at quality 80.
//!
//! Run with `cargo bench -p tianzhang-tests --bench thumbnails`; `THUMBNAIL_BENCH_RUNS=n` sets
//! the number of runs (default 5). Every run times, in turn:
//! (a) `vipsthumbnail` over the 20 files in one process, so that its start-up is amortised
//!     (shared/research/perf-anchors.md §2.2); it reads the files from disk, i.e. the page cache;
//! (b) `imaging::thumbnail` on one thread, over the files read into memory beforehand;
//! (c) `imaging::render` (thumbnail, 1280 px preview and perceptual hash) on one thread;
//! (d) `imaging::render` on two threads, the files split between them.
//! Figures are printed per run and then as median (min–max), for comparison with a peer run on
//! the same machine; then the thumbnails' PSNR against a full-resolution Lanczos3 reference.

// A benchmark fails loudly on set-up errors; that is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use image::RgbImage;
use image::imageops::FilterType;
use tianzhang_server::photos::imaging::{self, RenditionSizes, hamming_distance};
use tianzhang_tests::large_photos::twelve_megapixel_set;

const PHOTOS: usize = 20;
const THREADS: usize = 2;
const LONG_EDGE: u32 = 400;
const QUALITY: u8 = 80;

fn main() {
    let runs: usize = std::env::var("THUMBNAIL_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let vips = vips_version();

    let started = Instant::now();
    let photos = twelve_megapixel_set(PHOTOS);
    let megabytes = photos.iter().map(Vec::len).sum::<usize>() as f64 / 1e6;
    println!(
        "thumbnail benchmark: {} cores, {runs} runs; {PHOTOS} photos of 4000×3000 ({:.2} MB on \
         average, ready in {:.1} s) to {LONG_EDGE} px wide at quality {QUALITY}; {vips}",
        cores(),
        megabytes / PHOTOS as f64,
        started.elapsed().as_secs_f64()
    );
    println!(
        "vipsthumbnail reads the files from disk (they are in the page cache); imaging reads \
         them from memory"
    );
    let folder = tempfile::tempdir().unwrap();
    let (inputs, outputs) = (folder.path().join("in"), folder.path().join("out"));
    std::fs::create_dir_all(&inputs).unwrap();
    std::fs::create_dir_all(&outputs).unwrap();
    let files: Vec<PathBuf> = photos
        .iter()
        .enumerate()
        .map(|(i, bytes)| {
            let path = inputs.join(format!("photo_{:02}.jpg", i + 1));
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();

    // One untimed pass of each, which also checks what they make.
    run_vips(&files, &outputs);
    let hashes = check_ours(&photos);
    let closest = closest_pair(&hashes);
    println!(
        "warm-up done; the photos' perceptual hashes are at least {closest} bits apart \
         (different pictures)"
    );

    let mut figures = Figures::default();
    for run in 1..=runs {
        let vips_ms = per_photo_ms(|| run_vips(&files, &outputs));
        let thumbnail_ms = per_photo_ms(|| {
            for photo in &photos {
                black_box(imaging::thumbnail(photo, 1, LONG_EDGE, QUALITY).unwrap());
            }
        });
        let render_ms = per_photo_ms(|| {
            for photo in &photos {
                black_box(imaging::render(photo, 1, &RenditionSizes::default()).unwrap());
            }
        });
        let parallel_ms = per_photo_ms(|| render_on_threads(&photos));
        println!(
            "run {run}: vipsthumbnail {vips_ms:.1} ms/photo, thumbnail {thumbnail_ms:.1} ms/photo \
             ({:.2}× vips), render {render_ms:.1} ms/photo, render on {THREADS} threads \
             {:.1} photos/s",
            thumbnail_ms / vips_ms,
            1e3 / parallel_ms
        );
        figures.add(Row::Vips, vips_ms);
        figures.add(Row::Thumbnail, thumbnail_ms);
        figures.add(Row::Render, render_ms);
        figures.add(Row::RenderThreads, parallel_ms);
    }
    println!();
    println!("summary, median (min–max) of {runs} runs:");
    figures.print();
    println!();
    quality(&photos[0], &outputs.join("photo_01.jpg"));
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// `vipsthumbnail`'s version, or a stop telling how to install it.
fn vips_version() -> String {
    match Command::new("vipsthumbnail").arg("--version").output() {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).trim().to_owned()
        }
        _ => panic!(
            "vipsthumbnail is needed for this benchmark: run scripts/install-deps.sh \
             --with-bench-tools"
        ),
    }
}

/// All files in one `vipsthumbnail` process. The output path must be absolute: a relative one
/// is taken from each input's folder.
fn run_vips(files: &[PathBuf], outputs: &Path) {
    let status = Command::new("vipsthumbnail")
        .args(files)
        .arg("-s")
        .arg(format!("{LONG_EDGE}x"))
        .arg("-o")
        .arg(format!("{}/%s.jpg[Q={QUALITY}]", outputs.display()))
        .status()
        .unwrap();
    assert!(status.success(), "vipsthumbnail: {status}");
}

/// Renders every photo once, checks the sizes, and returns the perceptual hashes.
fn check_ours(photos: &[Vec<u8>]) -> Vec<u64> {
    photos
        .iter()
        .map(|photo| {
            let thumbnail = imaging::thumbnail(photo, 1, LONG_EDGE, QUALITY).unwrap();
            assert_eq!((thumbnail.width, thumbnail.height), (400, 300));
            let renditions = imaging::render(photo, 1, &RenditionSizes::default()).unwrap();
            assert_eq!(
                (renditions.thumbnail.width, renditions.thumbnail.height),
                (400, 300)
            );
            assert_eq!(
                (renditions.preview.width, renditions.preview.height),
                (1280, 960)
            );
            renditions.perceptual_hash
        })
        .collect()
}

fn closest_pair(hashes: &[u64]) -> u32 {
    hashes
        .iter()
        .enumerate()
        .flat_map(|(i, a)| hashes[i + 1..].iter().map(|b| hamming_distance(*a, *b)))
        .min()
        .unwrap_or(64)
}

fn render_on_threads(photos: &[Vec<u8>]) {
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            scope.spawn(move || {
                for photo in photos.iter().skip(t).step_by(THREADS) {
                    black_box(imaging::render(photo, 1, &RenditionSizes::default()).unwrap());
                }
            });
        }
    });
}

/// Wall time of `work` over all photos, in ms per photo.
fn per_photo_ms(work: impl FnOnce()) -> f64 {
    let started = Instant::now();
    work();
    started.elapsed().as_secs_f64() * 1e3 / PHOTOS as f64
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Row {
    Vips,
    Thumbnail,
    Render,
    RenderThreads,
}

impl Row {
    fn label(self) -> String {
        match self {
            Row::Vips => "(a) vipsthumbnail, 20 files in 1 process".to_owned(),
            Row::Thumbnail => "(b) imaging::thumbnail, 1 thread".to_owned(),
            Row::Render => "(c) imaging::render, 1 thread".to_owned(),
            Row::RenderThreads => format!("(d) imaging::render, {THREADS} threads"),
        }
    }
}

/// Milliseconds per photo of every run, by row.
#[derive(Default)]
struct Figures {
    rows: Vec<(Row, Vec<f64>)>,
}

impl Figures {
    fn add(&mut self, row: Row, ms: f64) {
        match self.rows.iter_mut().find(|(r, _)| *r == row) {
            Some((_, values)) => values.push(ms),
            None => self.rows.push((row, vec![ms])),
        }
    }

    fn print(&self) {
        let vips = self
            .rows
            .iter()
            .find(|(r, _)| *r == Row::Vips)
            .map_or(f64::NAN, |(_, values)| Stats::of(values).median);
        println!(
            "  {:<42} {:>22} {:>26} {:>6}",
            "", "ms/photo (wall)", "photos/s", "×vips"
        );
        for (row, values) in &self.rows {
            let ms = Stats::of(values);
            let rate = Stats::of(&values.iter().map(|ms| 1e3 / ms).collect::<Vec<_>>());
            println!(
                "  {:<42} {:>22} {:>26} {:>6.2}",
                row.label(),
                format!("{:.1} ({:.1}–{:.1})", ms.median, ms.min, ms.max),
                format!("{:.1} ({:.1}–{:.1})", rate.median, rate.min, rate.max),
                ms.median / vips
            );
        }
    }
}

struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

impl Stats {
    fn of(values: &[f64]) -> Stats {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Stats {
            median,
            min: sorted[0],
            max: sorted[n - 1],
        }
    }
}

/// PSNR of each 400×300 thumbnail of the first photo against `image`'s full-resolution
/// Lanczos3 (perf-anchors §2.1 has 33–35 dB for good methods).
fn quality(photo: &[u8], vips_output: &Path) {
    let reference = image::load_from_memory(photo)
        .unwrap()
        .resize_exact(400, 300, FilterType::Lanczos3)
        .to_rgb8();
    let decode = |bytes: &[u8]| image::load_from_memory(bytes).unwrap().to_rgb8();
    let thumbnail = imaging::thumbnail(photo, 1, LONG_EDGE, QUALITY).unwrap();
    let rendered = imaging::render(photo, 1, &RenditionSizes::default()).unwrap();
    println!("quality of the first photo's thumbnail, PSNR against a full-resolution Lanczos3:");
    for (name, image) in [
        (
            "vipsthumbnail (1/4 DCT scale, Lanczos3)",
            decode(&std::fs::read(vips_output).unwrap()),
        ),
        (
            "imaging::thumbnail (1/8 scale, Lanczos3)",
            decode(&thumbnail.bytes),
        ),
        (
            "imaging::render (3/8 scale, 1280 px, then 400 px)",
            decode(&rendered.thumbnail.bytes),
        ),
    ] {
        assert_eq!(image.dimensions(), (400, 300), "{name}");
        println!("  {name:<52} {:>6.2} dB", psnr(&image, &reference));
    }
}

fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    let squared: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum();
    let mse = squared / a.as_raw().len() as f64;
    10.0 * (255.0 * 255.0 / mse).log10()
}
