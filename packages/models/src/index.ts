/**
 * @fslsd/models: model manifests, integrity checks and loaders (bytes, URL) that work in any
 * JavaScript runtime. Filesystem loaders and the shipped tiny set: `@fslsd/models/node`.
 */
export { MANIFEST_FORMAT, parseManifest, manifestEntry } from './manifest.js';
export type { Manifest, ManifestLicence, ManifestPurpose } from './manifest.js';
export { sha256Hex, checkIntegrity } from './verify.js';
export { modelSetFromBytes } from './bytes.js';
export { modelSetFromUrl } from './url.js';
export type { ModelCache, UrlModelSetOptions } from './url.js';
export { FACE_MANIFEST_FORMAT, FACE_MODEL_IDS, parseFaceManifest } from './convert/face-manifest.js';
export type { FaceManifest, FaceModelEntry, FaceModelId } from './convert/face-manifest.js';
export { faceModelsFromUrl } from './face-url.js';
export type { FaceModelProgress, FaceModelsUrlOptions } from './face-url.js';
export { MEGAFS_VARIANTS, architectureSetsFor, importModelSet, megafsVariantOf } from './checkpoint/import.js';
export type { CheckpointInput, ImportModelSetOptions, ImportProgress, ModelFileSink } from './checkpoint/import.js';
export { ARCHITECTURE_FORMAT, CHECKPOINT_ROLES, parseArchitecture } from './checkpoint/architecture.js';
export type { ArchitectureCheckpoint, ArchitectureDescription, ArchitectureModel, ArchitectureSource, CheckpointRole, CheckpointScope, DerivedTensor } from './checkpoint/architecture.js';
export { ALLOWED_GLOBALS, openCheckpoint } from './checkpoint/torch-file.js';
export type { ByteReader, StorageRef, TensorRef, TorchCheckpoint, TorchDtype } from './checkpoint/torch-file.js';
export { PickleDict, PickleTuple } from './checkpoint/pickle.js';
export type { Built, PickleKey, PickleValue } from './checkpoint/pickle.js';
