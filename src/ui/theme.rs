//! Semantic roles mapped to styles. The plain palette (NO_COLOR, --no-color, tests) uses no
//! colors, only bold / reverse / underline, and stays fully usable.

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
    Running,
    Bar,
    BarHot,
    Critical,
    Match,
    TokensIn,
    TokensOut,
    Key,
    Border,
    BorderFocused,
}

/// A palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    #[must_use]
    pub fn colored() -> Self {
        Theme { color: true }
    }

    #[must_use]
    pub fn plain() -> Self {
        Theme { color: false }
    }

    /// Plain when `NO_COLOR` is set (any value) or `no_color` is asked for.
    #[must_use]
    pub fn from_env(no_color: bool) -> Self {
        if no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            Self::plain()
        } else {
            Self::colored()
        }
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
        let s = Style::default();
        if !self.color {
            return match role {
                Role::Title | Role::Header | Role::Key | Role::BorderFocused => {
                    s.add_modifier(Modifier::BOLD)
                }
                Role::Selected => s.add_modifier(Modifier::REVERSED),
                Role::SelectedUnfocused | Role::Match => s.add_modifier(Modifier::UNDERLINED),
                Role::Error | Role::Critical => s.add_modifier(Modifier::BOLD),
                _ => s,
            };
        }
        match role {
            Role::Title => s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Role::Header => s.fg(Color::Gray).add_modifier(Modifier::BOLD),
            Role::Muted | Role::Border => s.fg(Color::DarkGray),
            Role::Selected => s
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            Role::SelectedUnfocused => s.bg(Color::DarkGray),
            Role::Error => s.fg(Color::LightRed),
            Role::Ok => s.fg(Color::Green),
            Role::Running => s.fg(Color::Yellow),
            Role::Bar => s.fg(Color::Cyan),
            Role::BarHot => s.fg(Color::LightMagenta),
            Role::Critical => s.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Role::Match => s
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            Role::TokensIn => s.fg(Color::LightBlue),
            Role::TokensOut => s.fg(Color::LightGreen),
            Role::Key => s.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Role::BorderFocused => s.fg(Color::Cyan),
        }
    }
}
