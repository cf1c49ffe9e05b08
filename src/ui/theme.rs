//! Semantic roles mapped to styles. A theme is a palette drawn at a color depth: each palette
//! gives every role a 24-bit color and its own 16-color choice, and 256-color terminals get
//! the nearest xterm color. The mono palette (NO_COLOR, `--color never`, tests) uses no colors,
//! only bold / reverse / underline, and stays fully usable.

use ratatui::style::{Color, Modifier, Style};

/// What a piece of the screen means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Title,
    Header,
    Muted,
    Selected,
    SelectedUnfocused,
    Error,
    Ok,
    /// A request that succeeded although some of its steps failed.
    Recovered,
    Running,
    Bar,
    BarHot,
    Critical,
    /// The span with the largest self time of the trace.
    SelfHot,
    Match,
    TokensIn,
    TokensOut,
    Key,
    Border,
    BorderFocused,
}

/// A built-in palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Palette {
    /// For dark terminal backgrounds.
    #[default]
    Dark,
    /// For light terminal backgrounds.
    Light,
    /// Bright colors and bold text, for low-contrast screens and projectors.
    HighContrast,
    /// No colors: bold, reverse and underline only.
    Mono,
}

/// How many colors the terminal draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Depth {
    /// From COLORTERM and TERM: 24-bit when COLORTERM says truecolor or 24bit, 256 when TERM
    /// names a 256-color terminal, else 16.
    #[default]
    Auto,
    /// 24-bit colors.
    Truecolor,
    /// The xterm 256-color palette.
    #[value(name = "256")]
    Ansi256,
    /// The 16 ANSI colors (which the terminal's own scheme defines).
    #[value(name = "16")]
    Ansi16,
}

impl Depth {
    /// The depth `Auto` stands for, from `COLORTERM` and `TERM`.
    #[must_use]
    pub fn detect(colorterm: Option<&str>, term: Option<&str>) -> Depth {
        let colorterm = colorterm.unwrap_or("").to_ascii_lowercase();
        if colorterm.contains("truecolor") || colorterm.contains("24bit") {
            Depth::Truecolor
        } else if term.unwrap_or("").contains("256") {
            Depth::Ansi256
        } else {
            Depth::Ansi16
        }
    }

    fn resolve(self) -> Depth {
        match self {
            Depth::Auto => Depth::detect(
                std::env::var("COLORTERM").ok().as_deref(),
                std::env::var("TERM").ok().as_deref(),
            ),
            d => d,
        }
    }
}

/// When to use colors (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colors unless NO_COLOR is set (and, for the headless commands, only on a terminal).
    #[default]
    Auto,
    /// Colors even when NO_COLOR is set or the output is not a terminal.
    Always,
    /// No colors.
    Never,
}

impl ColorChoice {
    /// Whether to use colors, given whether the output is a terminal.
    #[must_use]
    pub fn enabled(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !no_color_env(),
        }
    }
}

/// `NO_COLOR` is set to something (<https://no-color.org>).
fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// A palette at a color depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub palette: Palette,
    /// Never `Auto`.
    pub depth: Depth,
}

/// A color: 24-bit, and the 16-color choice for the same role.
#[derive(Clone, Copy)]
struct Ink(u32, Color);

/// What a palette gives a role.
#[derive(Clone, Copy)]
struct Spec {
    fg: Option<Ink>,
    bg: Option<Ink>,
    modifier: Modifier,
}

const fn fg(rgb: u32, ansi: Color) -> Spec {
    Spec {
        fg: Some(Ink(rgb, ansi)),
        bg: None,
        modifier: Modifier::empty(),
    }
}

impl Spec {
    const fn bg(mut self, rgb: u32, ansi: Color) -> Spec {
        self.bg = Some(Ink(rgb, ansi));
        self
    }

    const fn bold(mut self) -> Spec {
        self.modifier = self.modifier.union(Modifier::BOLD);
        self
    }

    const fn underlined(mut self) -> Spec {
        self.modifier = self.modifier.union(Modifier::UNDERLINED);
        self
    }

    const fn bg_only(rgb: u32, ansi: Color) -> Spec {
        Spec {
            fg: None,
            bg: Some(Ink(rgb, ansi)),
            modifier: Modifier::empty(),
        }
    }
}

fn dark(role: Role) -> Spec {
    use Color::{Blue, Cyan, DarkGray, Gray, Green, LightBlue, LightGreen, LightMagenta, LightRed};
    use Color::{White, Yellow};
    match role {
        Role::Title => fg(0x56b6c2, Cyan).bold(),
        Role::Header => fg(0xabb2bf, Gray).bold(),
        Role::Muted | Role::Border => fg(0x6b7280, DarkGray),
        Role::Selected => fg(0xffffff, White).bg(0x2f5f9f, Blue).bold(),
        Role::SelectedUnfocused => Spec::bg_only(0x3e4451, DarkGray),
        Role::Error => fg(0xef596f, LightRed),
        Role::Ok => fg(0x89ca78, Green),
        Role::Recovered => fg(0xd19a66, Yellow),
        Role::Running => fg(0xe5c07b, Yellow),
        Role::Bar => fg(0x56b6c2, Cyan),
        Role::BarHot => fg(0xd55fde, LightMagenta),
        Role::Critical => fg(0xe5c07b, Yellow).bold(),
        Role::SelfHot => fg(0xd55fde, LightMagenta).bold(),
        Role::Match => fg(0xe5c07b, Yellow).bold().underlined(),
        Role::TokensIn => fg(0x61afef, LightBlue),
        Role::TokensOut => fg(0x89ca78, LightGreen),
        Role::Key => fg(0x56b6c2, Cyan).bold(),
        Role::BorderFocused => fg(0x56b6c2, Cyan),
    }
}

fn light(role: Role) -> Spec {
    use Color::{Black, Blue, DarkGray, Gray, Green, LightBlue, Magenta, Red, White};
    match role {
        Role::Title => fg(0x0e7490, Blue).bold(),
        Role::Header => fg(0x374151, Black).bold(),
        Role::Muted | Role::Border => fg(0x6b7280, DarkGray),
        Role::Selected => fg(0xffffff, White).bg(0x1d4ed8, Blue).bold(),
        Role::SelectedUnfocused => Spec::bg_only(0xdbe2ea, Gray),
        Role::Error => fg(0xb91c1c, Red),
        Role::Ok => fg(0x15803d, Green),
        Role::Recovered => fg(0xc2410c, Red),
        Role::Running => fg(0xa16207, Magenta),
        Role::Bar => fg(0x0369a1, Blue),
        Role::BarHot => fg(0xbe185d, Magenta),
        Role::Critical => fg(0xb45309, Red).bold(),
        Role::SelfHot => fg(0xbe185d, Magenta).bold(),
        Role::Match => fg(0xb45309, Magenta).bold().underlined(),
        Role::TokensIn => fg(0x1d4ed8, LightBlue),
        Role::TokensOut => fg(0x15803d, Green),
        Role::Key => fg(0x0e7490, Blue).bold(),
        Role::BorderFocused => fg(0x0e7490, Blue),
    }
}

fn high_contrast(role: Role) -> Spec {
    use Color::{Black, Gray, LightCyan, LightGreen, LightMagenta, LightRed, LightYellow, White};
    match role {
        Role::Title | Role::Key => fg(0xffffff, White).bold(),
        Role::Header => fg(0xffffff, White).bold().underlined(),
        Role::Muted | Role::Border => fg(0xc0c0c0, Gray),
        Role::Selected => fg(0x000000, Black).bg(0xffff5f, LightYellow).bold(),
        Role::SelectedUnfocused => fg(0x000000, Black).bg(0xc0c0c0, Gray),
        Role::Error => fg(0xff5f5f, LightRed).bold(),
        Role::Ok => fg(0x5fff5f, LightGreen),
        Role::Recovered => fg(0xffaf5f, LightYellow),
        Role::Running => fg(0xffff5f, LightYellow),
        Role::Bar => fg(0x5fffff, LightCyan),
        Role::BarHot => fg(0xff5fff, LightMagenta).bold(),
        Role::Critical => fg(0xffff5f, LightYellow).bold(),
        Role::SelfHot => fg(0xff5fff, LightMagenta).bold().underlined(),
        Role::Match => fg(0xffff5f, LightYellow).bold().underlined(),
        Role::TokensIn => fg(0x5fffff, LightCyan),
        Role::TokensOut => fg(0x5fff5f, LightGreen),
        Role::BorderFocused => fg(0xffff5f, LightYellow).bold(),
    }
}

fn mono(role: Role) -> Style {
    let s = Style::default();
    match role {
        Role::Title | Role::Header | Role::Key | Role::BorderFocused => {
            s.add_modifier(Modifier::BOLD)
        }
        Role::Selected => s.add_modifier(Modifier::REVERSED),
        Role::SelectedUnfocused | Role::Match => s.add_modifier(Modifier::UNDERLINED),
        Role::Error | Role::Critical => s.add_modifier(Modifier::BOLD),
        Role::SelfHot => s.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        _ => s,
    }
}

/// The xterm 256-color index nearest to a 24-bit color: the 6×6×6 cube or the gray ramp.
#[must_use]
pub fn nearest_256(rgb: u32) -> u8 {
    const LEVELS: [i32; 6] = [0, 95, 135, 175, 215, 255];
    let [_, r, g, b] = rgb.to_be_bytes().map(i32::from);
    let level = |v: i32| (0..6).min_by_key(|&i| (LEVELS[i] - v).abs()).unwrap_or(0);
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let dist = |x: i32, y: i32, z: i32| (x - r).pow(2) + (y - g).pow(2) + (z - b).pow(2);
    let cube = dist(LEVELS[ri], LEVELS[gi], LEVELS[bi]);
    // gray ramp: 232..=255 are 8, 18, ..., 238
    let avg = (r + g + b) / 3;
    let gi_ramp = ((avg - 8 + 5) / 10).clamp(0, 23);
    let gv = 8 + 10 * gi_ramp;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    if dist(gv, gv, gv) < cube {
        232 + gi_ramp as u8
    } else {
        16 + (36 * ri + 6 * gi + bi) as u8
    }
}

impl Theme {
    /// The default palette in 16 colors.
    #[must_use]
    pub fn colored() -> Self {
        Theme {
            palette: Palette::Dark,
            depth: Depth::Ansi16,
        }
    }

    /// No colors.
    #[must_use]
    pub fn plain() -> Self {
        Theme {
            palette: Palette::Mono,
            depth: Depth::Ansi16,
        }
    }

    /// The explorer's theme: `palette` at `depth` (`Auto`: from the environment), or mono when
    /// colors are off (`--color never`, or `NO_COLOR` without `--color always`).
    #[must_use]
    pub fn new(palette: Palette, depth: Depth, choice: ColorChoice) -> Self {
        if choice.enabled(true) {
            Theme {
                palette,
                depth: depth.resolve(),
            }
        } else {
            Self::plain()
        }
    }

    /// Whether this theme draws colors.
    #[must_use]
    pub fn color(self) -> bool {
        self.palette != Palette::Mono
    }

    /// The base style of a list row: selected (focused or not) or plain.
    #[must_use]
    pub fn row(self, selected: bool, focused: bool) -> Style {
        match (selected, focused) {
            (true, true) => self.style(Role::Selected),
            (true, false) => self.style(Role::SelectedUnfocused),
            (false, _) => Style::default(),
        }
    }

    #[must_use]
    pub fn style(self, role: Role) -> Style {
        let spec = match self.palette {
            Palette::Mono => return mono(role),
            Palette::Dark => dark(role),
            Palette::Light => light(role),
            Palette::HighContrast => high_contrast(role),
        };
        let ink = |i: Ink| match self.depth {
            Depth::Truecolor => {
                let [_, r, g, b] = i.0.to_be_bytes();
                Color::Rgb(r, g, b)
            }
            Depth::Ansi256 => Color::Indexed(nearest_256(i.0)),
            Depth::Ansi16 | Depth::Auto => i.1,
        };
        let mut s = Style::default().add_modifier(spec.modifier);
        if let Some(f) = spec.fg {
            s = s.fg(ink(f));
        }
        if let Some(b) = spec.bg {
            s = s.bg(ink(b));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_256_color_picks_the_cube_or_the_gray_ramp() {
        assert_eq!(nearest_256(0x000000), 16);
        assert_eq!(nearest_256(0xffffff), 231);
        assert_eq!(nearest_256(0xff0000), 196);
        assert_eq!(nearest_256(0x5fafd7), 74);
        assert_eq!(nearest_256(0x808080), 244);
        assert_eq!(nearest_256(0x3e4451), 238);
    }

    #[test]
    fn depth_follows_colorterm_then_term() {
        assert_eq!(
            Depth::detect(Some("truecolor"), Some("xterm")),
            Depth::Truecolor
        );
        assert_eq!(
            Depth::detect(Some("24bit"), Some("screen")),
            Depth::Truecolor
        );
        assert_eq!(Depth::detect(None, Some("xterm-256color")), Depth::Ansi256);
        assert_eq!(Depth::detect(None, Some("linux")), Depth::Ansi16);
        assert_eq!(Depth::detect(None, None), Depth::Ansi16);
    }

    #[test]
    fn every_palette_draws_every_role_at_every_depth() {
        let roles = [
            Role::Title,
            Role::Header,
            Role::Muted,
            Role::Selected,
            Role::SelectedUnfocused,
            Role::Error,
            Role::Ok,
            Role::Recovered,
            Role::Running,
            Role::Bar,
            Role::BarHot,
            Role::Critical,
            Role::SelfHot,
            Role::Match,
            Role::TokensIn,
            Role::TokensOut,
            Role::Key,
            Role::Border,
            Role::BorderFocused,
        ];
        for palette in [Palette::Dark, Palette::Light, Palette::HighContrast] {
            for (depth, is_depth) in [
                (
                    Depth::Truecolor,
                    (|c| matches!(c, Color::Rgb(..))) as fn(Color) -> bool,
                ),
                (Depth::Ansi256, |c| matches!(c, Color::Indexed(_))),
                (Depth::Ansi16, |c| {
                    !matches!(c, Color::Rgb(..) | Color::Indexed(_))
                }),
            ] {
                let t = Theme { palette, depth };
                for r in roles {
                    let s = t.style(r);
                    let c = s.fg.or(s.bg);
                    assert!(
                        c.is_some_and(is_depth),
                        "{palette:?} {depth:?} {r:?}: {s:?}"
                    );
                }
                // the selection stands out from an unselected row
                assert_ne!(t.row(true, true), t.row(false, true));
            }
        }
        let mono = Theme::plain();
        assert!(!mono.color());
        assert!(roles.iter().all(|&r| mono.style(r).fg.is_none()));
    }

    #[test]
    fn color_choice() {
        assert!(ColorChoice::Always.enabled(false));
        assert!(!ColorChoice::Never.enabled(true));
        assert!(!ColorChoice::Auto.enabled(false));
    }
}
