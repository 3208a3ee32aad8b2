"""Reports: vulnerability reports from people, tools and AI models under review."""
