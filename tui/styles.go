package tui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// styles are the looks of every view, made for a dark or a light terminal, or without colour
// (NO_COLOR): then emphasis is bold, reverse and the ▸ marker only, never colour.
type styles struct {
	app       lipgloss.Style
	title     lipgloss.Style
	metric    lipgloss.Style
	tab       lipgloss.Style
	tabActive lipgloss.Style
	crumb     lipgloss.Style
	header    lipgloss.Style
	selected  lipgloss.Style
	marked    lipgloss.Style
	dim       lipgloss.Style
	good      lipgloss.Style
	bad       lipgloss.Style
	status    lipgloss.Style
	errorText lipgloss.Style
	prompt    lipgloss.Style
	section   lipgloss.Style
	help      help.Styles
}

func newStyles(isDark, colour bool) styles {
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color {
		if !colour {
			return lipgloss.NoColor{}
		}
		return ld(lipgloss.Color(light), lipgloss.Color(dark))
	}
	accent := c("#5A3FC0", "#B7A6FF")
	s := styles{
		app:       lipgloss.NewStyle(),
		title:     lipgloss.NewStyle().Bold(true).Foreground(accent),
		metric:    lipgloss.NewStyle(),
		tab:       lipgloss.NewStyle().Foreground(c("#6B6B6B", "#9A9A9A")),
		tabActive: lipgloss.NewStyle().Bold(true).Underline(true).Foreground(accent),
		crumb:     lipgloss.NewStyle().Foreground(c("#6B6B6B", "#9A9A9A")),
		header:    lipgloss.NewStyle().Bold(true).Foreground(c("#303030", "#DADADA")),
		selected:  lipgloss.NewStyle().Reverse(true),
		marked:    lipgloss.NewStyle().Bold(true).Foreground(c("#A05A00", "#FFB454")),
		dim:       lipgloss.NewStyle().Foreground(c("#6B6B6B", "#8A8A8A")),
		good:      lipgloss.NewStyle().Foreground(c("#1A7F37", "#56D364")),
		bad:       lipgloss.NewStyle().Foreground(c("#C0362C", "#FF7B72")),
		status:    lipgloss.NewStyle().Foreground(c("#303030", "#DADADA")),
		errorText: lipgloss.NewStyle().Bold(true).Foreground(c("#C0362C", "#FF7B72")),
		prompt:    lipgloss.NewStyle().Bold(true).Foreground(accent),
		section:   lipgloss.NewStyle().Bold(true),
		help:      help.DefaultStyles(isDark),
	}
	if !colour {
		plain := lipgloss.NewStyle()
		s.help = help.Styles{
			Ellipsis: plain, ShortKey: plain.Bold(true), ShortDesc: plain, ShortSeparator: plain,
			FullKey: plain.Bold(true), FullDesc: plain, FullSeparator: plain,
		}
	}
	return s
}
