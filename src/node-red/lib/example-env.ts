import { join } from 'node:path';
import type { NodeAPI } from './red-types';

/**
 * Defaults for the environment variables examples 04 ("Audio file in, video file out") and 05 ("Script in, video
 * file out") read, so they run as imported: the sample video and speech shipped with the package (the speech is
 * also example 05's recording to clone a voice from), and a `lipsync-output/` folder in the Node-RED user
 * directory. Only unset variables get a value, so `npm start` and the user's own settings win.
 */
export function exampleEnvDefaults(RED: NodeAPI): void {
  const assets = join(__dirname, '..', '..', 'sandbox', 'assets');
  const userDir = typeof RED.settings.userDir === 'string' && RED.settings.userDir ? RED.settings.userDir : process.cwd();
  const defaults: Record<string, string> = {
    LIPSYNC_VIDEO_FILE: join(assets, 'sample.mp4'),
    LIPSYNC_AUDIO_FILE: join(assets, 'sample.wav'),
    LIPSYNC_VOICE_SAMPLE: join(assets, 'sample.wav'),
    LIPSYNC_OUTPUT_DIR: `${join(userDir, 'lipsync-output')}/`,
  };
  for (const [name, value] of Object.entries(defaults)) if (!process.env[name]) process.env[name] = value;
}
