// The dashboard: polls the query API and draws with Chart.js (served from node_modules).
(() => {
  const $ = (id) => document.getElementById(id);
  const REFRESH_MS = 5000;
  const MINUTE = 60000;
  const state = { topChart: null, seriesChart: null, rates: null };

  $('token').value = localStorage.getItem('adclick.token') ?? '';

  async function api(path) {
    const headers = {};
    const token = $('token').value.trim();
    if (token !== '') headers.authorization = `Bearer ${token}`;
    const res = await fetch(path, { headers });
    const body = await res.json();
    if (!res.ok) throw new Error(`${res.status}: ${body.error ?? 'request failed'}`);
    return body;
  }

  function filterParam() {
    const c = $('country').value.trim().toUpperCase();
    return /^[A-Z]{2}$/.test(c) ? `&filter=country:${c}` : '';
  }

  const fmtTime = (ms) => (ms == null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16));
  const describeSource = (s) =>
    `batch until ${fmtTime(s.batch_until)}, speed from ${fmtTime(s.speed_from)} (watermark ${fmtTime(s.batch_watermark)})`;

  function setStatus(text, isError) {
    $('status').textContent = text;
    $('status').className = isError ? 'error' : '';
  }

  function drawTop(ads) {
    const rows = $('top-rows');
    rows.replaceChildren(
      ...ads.map((a, i) => {
        const tr = document.createElement('tr');
        for (const v of [i + 1, a.ad_id, a.count]) {
          const td = document.createElement('td');
          td.textContent = String(v);
          tr.append(td);
        }
        tr.dataset.ad = a.ad_id;
        tr.addEventListener('click', () => {
          $('ad').value = a.ad_id;
          refreshSeries();
        });
        return tr;
      }),
    );
    const data = {
      labels: ads.map((a) => a.ad_id),
      datasets: [{ label: 'clicks', data: ads.map((a) => a.count), backgroundColor: '#3b6fd8' }],
    };
    if (state.topChart === null) {
      state.topChart = new Chart($('top-chart'), {
        type: 'bar',
        data,
        options: {
          indexAxis: 'y',
          animation: false,
          maintainAspectRatio: false,
          plugins: { legend: { display: false } },
        },
      });
    } else {
      state.topChart.data = data;
      state.topChart.update();
    }
  }

  async function refreshTop() {
    const q = `count=${$('count').value}&window=${$('window').value}${filterParam()}`;
    const body = await api(`/v1/ads/popular_ads?${q}`);
    drawTop(body.ads);
    $('top-source').textContent = describeSource(body.source);
    if ($('ad').value.trim() === '' && body.ads.length > 0) $('ad').placeholder = body.ads[0].ad_id;
    return body;
  }

  async function refreshSeries() {
    const ad = $('ad').value.trim() || $('ad').placeholder;
    if (ad === '' || ad === 'the top ad') return;
    const to = Math.floor(Date.now() / MINUTE) * MINUTE + MINUTE;
    const from = to - Number($('minutes').value) * MINUTE;
    const body = await api(
      `/v1/ads/${encodeURIComponent(ad)}/aggregated_count/series?from=${from}&to=${to}${filterParam()}`,
    );
    const total = body.points.reduce((s, p) => s + p.count, 0);
    $('series-total').textContent = `${ad}: ${total} clicks`;
    const data = {
      labels: body.points.map((p) => fmtTime(p.minute).slice(11)),
      datasets: [
        {
          label: ad,
          data: body.points.map((p) => p.count),
          borderColor: '#d8573b',
          pointRadius: 0,
          tension: 0.2,
        },
      ],
    };
    if (state.seriesChart === null) {
      state.seriesChart = new Chart($('series-chart'), {
        type: 'line',
        data,
        options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true } } },
      });
    } else {
      state.seriesChart.data = data;
      state.seriesChart.update();
    }
  }

  async function refreshPipeline() {
    const body = await api('/v1/pipeline');
    const now = Date.now();
    const entries = [['batch watermark', fmtTime(body.batch_watermark)]];
    const previous = state.rates;
    for (const [name, value] of Object.entries(body.metrics).sort()) {
      let shown = String(Math.round(value * 100) / 100);
      if (previous?.values[name] !== undefined && /_total$/.test(name)) {
        const perSecond = (value - previous.values[name]) / ((now - previous.at) / 1000);
        shown += ` (${perSecond.toFixed(1)}/s)`;
      }
      entries.push([name, shown]);
    }
    if (Object.keys(body.metrics).length === 0) entries.push(['layer metrics', 'not reachable']);
    state.rates = { at: now, values: body.metrics };
    $('health').replaceChildren(
      ...entries.flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = v;
        return [dt, dd];
      }),
    );
    $('recon-rows').replaceChildren(
      ...body.reconciliation.map((r) => {
        const tr = document.createElement('tr');
        for (const v of [r.date, r.status, r.mismatching, r.unexplained]) {
          const td = document.createElement('td');
          td.textContent = String(v);
          tr.append(td);
        }
        tr.children[1].className = r.status;
        return tr;
      }),
    );
  }

  async function refreshAll() {
    try {
      await refreshTop();
      await Promise.all([refreshSeries(), refreshPipeline()]);
      setStatus(`updated ${new Date().toLocaleTimeString()}`, false);
      document.body.dataset.loaded = String(Number(document.body.dataset.loaded ?? 0) + 1);
    } catch (error) {
      setStatus(error.message, true);
    }
  }

  async function init() {
    try {
      const doc = await fetch('/openapi.json').then((r) => r.json());
      const windowParam = doc.paths['/v1/ads/popular_ads'].get.parameters.find((p) => p.name === 'window');
      for (const w of windowParam.schema.enum) $('window').append(new Option(`${w} min`, String(w)));
    } catch {
      $('window').append(new Option('1 min', '1'));
    }
    for (const id of ['window', 'count', 'minutes']) $(id).addEventListener('change', refreshAll);
    for (const id of ['country', 'ad']) $(id).addEventListener('change', refreshAll);
    $('token').addEventListener('change', () => {
      localStorage.setItem('adclick.token', $('token').value.trim());
      refreshAll();
    });
    await refreshAll();
    setInterval(refreshAll, REFRESH_MS);
  }
  init();
})();
