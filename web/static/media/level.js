// The studio's microphone level: a WebAudio AnalyserNode on the local microphone track, drawn in a <meter>
// ten times a second (the loudness of the last few milliseconds, 0 to 1).

const INTERVAL_MS = 100;
const GAIN = 3; // speech sits around 0.05-0.3 RMS: scaled so a normal voice fills about half the meter

export function mountLevel(meter) {
  const Context = window.AudioContext || window.webkitAudioContext;
  let context = null;
  let source = null;
  let analyser = null;
  let samples = null;
  let timer = null;

  function read() {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    meter.value = Math.min(1, Math.sqrt(sum / samples.length) * GAIN);
  }

  return {
    // Follows the microphone of `media` (a MediaStream, or null for none).
    listen(media) {
      clearInterval(timer);
      if (source) source.disconnect();
      source = null;
      meter.value = 0;
      const track = media ? media.getAudioTracks()[0] : null;
      if (!track || !Context) return;
      context = context || new Context();
      analyser = analyser || context.createAnalyser();
      analyser.fftSize = 1024;
      samples = new Float32Array(analyser.fftSize);
      source = context.createMediaStreamSource(new MediaStream([track]));
      source.connect(analyser); // not to the speakers: the speaker would hear themselves
      timer = setInterval(read, INTERVAL_MS);
    },
    // Browsers start audio suspended until the person clicks something: called from a click.
    wake() {
      if (context && context.state === "suspended") context.resume().catch(() => {});
    },
  };
}
