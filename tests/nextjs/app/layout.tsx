import type { ReactNode } from "react";

// No next/font: a build must not reach Google Fonts (the test machine has no network but npm).
export const metadata = { title: "Strata on Next.js" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
