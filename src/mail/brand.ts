// The one place for the brand every e-mail wears: name, colours, footer.
export const brand = {
  name: 'Stagedoor',
  tagline: 'Tickets for the shows you love, seats next to your friends.',
  colors: {
    accent: '#7c3aed',
    accentText: '#ffffff',
    text: '#1f2937',
    muted: '#6b7280',
    background: '#f4f4f5',
    card: '#ffffff',
    border: '#e5e7eb',
  },
  font: "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
  footer: 'You receive this e-mail because of activity on your Stagedoor account.',
} as const

export type Brand = typeof brand
