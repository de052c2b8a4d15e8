"""Component ids of the representation panel (training and the quality report)."""

# Left column: train a representation (a background job)
STRATEGY = "train-strategy"
BACKBONE = "train-backbone"
START = "train-start"                    # random init, ImageNet or trained weights
EPOCHS = "train-epochs"
BATCH_SIZE = "train-batch-size"
INPUT_SIZE = "train-input-size"          # empty: chosen from the image sizes
LEARNING_RATE = "train-lr"               # empty: the strategy's default
BUTTON = "train-button"
CANCEL = "train-cancel"
PROGRESS = "train-progress"
STATUS = "train-status"
ERROR = "train-error"                    # why the last training failed (role=alert)
RESULT = "train-result"                  # the finished run: name and per-epoch metrics
TRAINED = "train-trained"                # store: name of the weights the last run wrote

# Below the hierarchy: the representation-quality report (a background job)
QUALITY_BUTTON = "quality-button"
QUALITY_CANCEL = "quality-cancel"
QUALITY_PROGRESS = "quality-progress"
QUALITY_STATUS = "quality-status"
QUALITY_ERROR = "quality-error"
QUALITY_SUMMARY = "quality-summary"
QUALITY_HEATMAP = "quality-heatmap"

# In the quality panel: compare every available representation (a background job)
COMPARE_BUTTON = "compare-button"
COMPARE_CANCEL = "compare-cancel"
COMPARE_PROGRESS = "compare-progress"
COMPARE_STATUS = "compare-status"
COMPARE_ERROR = "compare-error"
COMPARE_RESULT = "compare-result"        # the table and the suggestion
