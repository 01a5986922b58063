// A short pause standing in for I/O (a database or HTTP call), so tasks interleave at each await.
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
