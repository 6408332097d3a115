//! A small line chart as a PNG, for the digest's rating trend. Mail clients block remote
//! images and scripts, so the chart travels inside the mail (an inline `cid:` part). It has no
//! text of its own: the legend and the figures are HTML beside it, readable without images.
//!
//! Drawn and encoded here rather than with a plotting or image crate: a few lines on a grid,
//! and a PNG is three chunks around a zlib stream. `flate2` (already used for report
//! documents) gives the zlib stream and the CRC-32; a plotting stack with fonts would add
//! megabytes to the Lambda for that.

use std::io::Write as _;

use flate2::Crc;
use flate2::write::ZlibEncoder;

pub type Rgb = [u8; 3];

pub const BACKGROUND: Rgb = [255, 255, 255];
const GRID: Rgb = [226, 230, 234];
const AXIS: Rgb = [173, 181, 189];

/// One line: a value per day (oldest first), `None` where the day has no value.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub color: Rgb,
    pub values: Vec<Option<f64>>,
}

/// An RGB pixel buffer.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Self {
        let mut pixels = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            pixels.extend_from_slice(&BACKGROUND);
        }
        Self { width, height, pixels }
    }

    fn set(&mut self, x: i64, y: i64, color: Rgb) {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            return;
        }
        let at = (y as usize * self.width + x as usize) * 3;
        self.pixels[at..at + 3].copy_from_slice(&color);
    }

    fn horizontal(&mut self, y: i64, color: Rgb) {
        for x in 0..self.width as i64 {
            self.set(x, y, color);
        }
    }

    /// A dot of radius `r` (a thick pen).
    fn dot(&mut self, cx: i64, cy: i64, r: i64, color: Rgb) {
        for dy in -r..=r {
            for dx in -r..=r {
                if dx * dx + dy * dy <= r * r + r {
                    self.set(cx + dx, cy + dy, color);
                }
            }
        }
    }

    /// A line with a thick pen (Bresenham).
    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), r: i64, color: Rgb) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        loop {
            self.dot(x, y, r, color);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    fn png(&self) -> Vec<u8> {
        let mut raw = Vec::with_capacity((self.width * 3 + 1) * self.height);
        for row in self.pixels.chunks(self.width * 3) {
            raw.push(0); // filter type None
            raw.extend_from_slice(row);
        }
        let mut zlib = ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing into a Vec cannot fail.
        let _ = zlib.write_all(&raw);
        let idat = zlib.finish().unwrap_or_default();

        let mut ihdr = Vec::with_capacity(13);
        ihdr.extend_from_slice(&(self.width as u32).to_be_bytes());
        ihdr.extend_from_slice(&(self.height as u32).to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace

        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [(b"IHDR", ihdr.as_slice()), (b"IDAT", idat.as_slice()), (b"IEND", &[])] {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut crc = Crc::new();
            crc.update(kind);
            crc.update(data);
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            out.extend_from_slice(&crc.sum().to_be_bytes());
        }
        out
    }
}

/// The value range the chart spans: the data's, padded, never empty.
pub fn value_range(series: &[Series]) -> Option<(f64, f64)> {
    let values = series.iter().flat_map(|s| s.values.iter().flatten().copied()).filter(|v| v.is_finite());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return None;
    }
    let pad = ((hi - lo) * 0.1).max(if hi == lo { 1.0 } else { 0.0 });
    Some(((lo - pad).max(if lo >= 0.0 { 0.0 } else { f64::NEG_INFINITY }), hi + pad))
}

/// A `width` x `height` PNG of the series over a light grid; `None` when no series has a value.
pub fn line_chart(series: &[Series], width: usize, height: usize) -> Option<Vec<u8>> {
    let (lo, hi) = value_range(series)?;
    let days = series.iter().map(|s| s.values.len()).max().unwrap_or(0).max(2);
    let mut canvas = Canvas::new(width.max(16), height.max(16));
    let (margin, bottom) = (6_i64, canvas.height as i64 - 6);
    let plot_height = (bottom - margin) as f64;
    for i in 0..=4 {
        canvas.horizontal(margin + (plot_height * f64::from(i) / 4.0).round() as i64, GRID);
    }
    canvas.horizontal(bottom, AXIS);
    let plot_width = (canvas.width as i64 - 2 * margin) as f64;
    let x_of = |day: usize| margin + (plot_width * day as f64 / (days - 1) as f64) as i64;
    let y_of = |value: f64| bottom - ((value - lo) / (hi - lo) * plot_height).round() as i64;
    for s in series {
        let mut previous: Option<(i64, i64)> = None;
        for (day, value) in s.values.iter().enumerate() {
            match value.filter(|v| v.is_finite()) {
                Some(v) => {
                    let point = (x_of(day), y_of(v));
                    match previous {
                        Some(from) => canvas.line(from, point, 1, s.color),
                        None => canvas.dot(point.0, point.1, 2, s.color),
                    }
                    previous = Some(point);
                }
                None => previous = None,
            }
        }
    }
    Some(canvas.png())
}

/// `#rrggbb` for the HTML legend.
pub fn hex(color: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", color[0], color[1], color[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png_bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("a valid PNG");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("one frame");
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    fn pixel(buf: &[u8], width: usize, x: usize, y: usize) -> Rgb {
        let at = (y * width + x) * 3;
        [buf[at], buf[at + 1], buf[at + 2]]
    }

    #[test]
    fn a_rising_line_is_drawn_low_on_the_left_and_high_on_the_right() {
        let red = [200, 30, 30];
        let series = [Series { color: red, values: (0..30).map(|d| Some(f64::from(d))).collect() }];
        let bytes = line_chart(&series, 300, 100).expect("a chart");
        let (info, buf) = decode(&bytes);
        assert_eq!((info.width, info.height), (300, 100));
        let rows_with_red = |x: usize| (0..100).filter(|&y| pixel(&buf, 300, x, y) == red).collect::<Vec<_>>();
        let left = rows_with_red(8);
        let right = rows_with_red(292);
        assert!(!left.is_empty() && !right.is_empty(), "the line reaches both ends");
        assert!(left.iter().min() > right.iter().max(), "rising: lower (larger y) on the left");
    }

    #[test]
    fn gaps_stay_gaps_and_no_data_is_no_chart() {
        let blue = [20, 60, 200];
        let mut values = vec![Some(1.0); 10];
        values.extend(vec![None; 10]);
        values.extend(vec![Some(1.0); 10]);
        let bytes = line_chart(&[Series { color: blue, values }], 290, 60).expect("a chart");
        let (_, buf) = decode(&bytes);
        let middle_has_blue = (0..60).any(|y| pixel(&buf, 290, 145, y) == blue);
        assert!(!middle_has_blue, "no line drawn across days without a value");
        assert!(line_chart(&[Series { color: blue, values: vec![None; 5] }], 100, 50).is_none());
        assert!(line_chart(&[], 100, 50).is_none());
    }

    #[test]
    fn a_flat_series_still_has_a_range() {
        let series = [Series { color: [0, 0, 0], values: vec![Some(5.0); 4] }];
        let (lo, hi) = value_range(&series).unwrap();
        assert!(lo < 5.0 && hi > 5.0);
        assert_eq!(hex([255, 16, 0]), "#ff1000");
    }
}
