// The image data sets, as the rest of lrlab uses them: the registry (imageDatasetRegistry.ts)
// with the built-in data sets registered — Fashion-MNIST (the CPU presets) and CIFAR-10 (the
// paper's). Import the data sets from here, so that the built-ins are always there.
//
// A new data set: a file exporting its ImageDatasetEntry and one line below.
import { registerImageDataset } from './imageDatasetRegistry.js';
import { cifar10Dataset } from './cifar10.js';
import { fashionMnistDataset } from './fashionMnist.js';

registerImageDataset(fashionMnistDataset);
registerImageDataset(cifar10Dataset);

export {
  checkImageDataset, getImageDataset, imageDatasetDir, imageDatasetNames, loadImageDataset, registerImageDataset,
  type ImageData, type ImageDatasetEntry, type ImageDatasetShape,
} from './imageDatasetRegistry.js';
