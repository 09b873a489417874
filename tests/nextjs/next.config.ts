import type { NextConfig } from "next";

const config: NextConfig = {
  // Only this app's files are traced; the repository around it is not a workspace of it.
  turbopack: { root: __dirname },
  outputFileTracingRoot: __dirname,
};

export default config;
