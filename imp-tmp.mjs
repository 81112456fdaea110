const u0 = process.cpuUsage();
await import(process.argv[2]);
const u = process.cpuUsage(u0);
console.log(process.argv[2], "cpu ms", Math.round((u.user + u.system) / 1000));
