// The seed's load test (loadtests/checkout_traffic.js): ramp to 1,000 virtual users in 2 minutes, hold 8 minutes.
// CI runs it monthly (the README's capacity-trend.yml) and posts the summary to POST /api/reliability/capacity/runs.
import http from 'k6/http';

export const options = { stages: [{ duration: '2m', target: 1000 }, { duration: '8m', target: 1000 }] };

export default () => {
  http.get(`${__ENV.SHOP_URL || 'https://shop.example.com'}/checkout`);
};
